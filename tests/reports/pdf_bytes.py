"""A tiny reader of the PDFs reportlab writes, independent of reportlab: pages in order, the text
each page shows, and each page's images decoded to pixels. Used because no rasteriser (poppler's
pdftoppm, pypdfium2) is installed here; it reads only what the tests need."""
from __future__ import annotations

import base64
import re
import zlib
from dataclasses import dataclass

import numpy as np

_OBJ = re.compile(rb"(\d+) 0 obj\s*(<<.*?>>)\s*(stream\r?\n|endobj)", re.S)
_REF = rb"(\d+) 0 R"


@dataclass
class PdfImage:
    width: int
    height: int
    pixels: np.ndarray  # height x width x components, uint8

    @property
    def variance(self) -> float:
        return float(self.pixels.astype(np.float64).var())


@dataclass
class PdfPage:
    text: str
    images: list[PdfImage]
    content: bytes


def _decode(data: bytes, dictionary: bytes) -> bytes:
    filters = re.findall(rb"/(ASCII85Decode|FlateDecode)", dictionary.split(b"/Filter", 1)[1]) \
        if b"/Filter" in dictionary else []
    for f in filters:
        if f == b"ASCII85Decode":
            body = data.strip()
            if body.startswith(b"<~"):
                body = body[2:]
            if body.endswith(b"~>"):
                body = body[:-2]
            data = base64.a85decode(body)
        elif f == b"FlateDecode":
            data = zlib.decompress(data)
    return data


def _objects(pdf: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    objects: dict[int, tuple[bytes, bytes | None]] = {}
    for m in _OBJ.finditer(pdf):
        number, dictionary = int(m.group(1)), m.group(2)
        stream = None
        if m.group(3).startswith(b"stream"):
            length = int(re.search(rb"/Length (\d+)", dictionary).group(1))
            start = m.end()
            stream = _decode(pdf[start:start + length], dictionary)
        objects[number] = (dictionary, stream)
    return objects


def _unescape(s: bytes) -> str:
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c == 0x5C:  # backslash
            nxt = s[i + 1:i + 2]
            octal = re.match(rb"[0-7]{1,3}", s[i + 1:i + 4])
            if octal:
                out.append(int(octal.group(0), 8))
                i += 1 + len(octal.group(0))
                continue
            out += {b"n": b"\n", b"r": b"\r", b"t": b"\t"}.get(nxt, nxt)
            i += 2
            continue
        out.append(c)
        i += 1
    return out.decode("cp1252", errors="replace")


def _text(content: bytes) -> str:
    strings = re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", content, re.S)
    return "\n".join(_unescape(s) for s in strings)


def _image(dictionary: bytes, data: bytes) -> PdfImage:
    width = int(re.search(rb"/Width (\d+)", dictionary).group(1))
    height = int(re.search(rb"/Height (\d+)", dictionary).group(1))
    components = 3 if b"/DeviceRGB" in dictionary else 1
    pixels = np.frombuffer(data, dtype=np.uint8)[: width * height * components].reshape(height, width, components)
    return PdfImage(width, height, pixels)


def read_pdf(pdf: bytes) -> list[PdfPage]:
    if not pdf.startswith(b"%PDF-"):
        raise ValueError("not a PDF")
    objects = _objects(pdf)
    pages_dict = next(d for d, _ in objects.values() if re.search(rb"/Type /Pages\b", d))
    kids = [int(n) for n in re.findall(_REF, pages_dict.split(b"/Kids", 1)[1].split(b"]", 1)[0])]
    pages = []
    for number in kids:
        dictionary, _ = objects[number]
        contents = int(re.search(rb"/Contents " + _REF, dictionary).group(1))
        content = objects[contents][1] or b""
        images = []
        xobjects = re.search(rb"/XObject <<(.*?)>>", dictionary, re.S)
        if xobjects:
            for ref in re.findall(_REF, xobjects.group(1)):
                xdict, xdata = objects[int(ref)]
                if b"/Subtype /Image" in xdict:
                    images.append(_image(xdict, xdata))
        pages.append(PdfPage(text=_text(content), images=images, content=content))
    return pages
