"""Read the QR codes printed in a PDF, as a phone would: render each page to pixels (PDFium) and
decode what is drawn (zxing-cpp). Nothing here reads the PDF's text or the app's own QR code maker."""

from __future__ import annotations

import pypdfium2
import zxingcpp


def qr_codes_in_pdf(data: bytes, *, scale: float = 3.0) -> list[str]:
    document = pypdfium2.PdfDocument(data)
    try:
        found: list[str] = []
        for page in document:
            image = page.render(scale=scale).to_pil()
            found.extend(
                result.text
                for result in zxingcpp.read_barcodes(image)
                if result.format == zxingcpp.BarcodeFormat.QRCode
            )
        return found
    finally:
        document.close()
