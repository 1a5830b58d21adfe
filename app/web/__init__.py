"""The pages: one blueprint per part of the site (routes and forms), with the session, security headers,
error pages and template helpers they share. Routes parse a request, call the areas and render."""
