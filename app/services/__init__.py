"""The domain: every query and write the views need. Services flush; the request commits."""
