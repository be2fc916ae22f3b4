"""What an uploaded file is, judged by its bytes and never by its name or declared type.

Accepted: photos (JPEG, PNG, GIF, WebP) and scanned documents (PDF). An image is decoded and
encoded again, upright (its EXIF orientation applied) and without any of its metadata (EXIF with
the GPS position, XMP, comments); only its colour profile is kept. An image with more pixels than
`upload_limits.MAX_IMAGE_PIXELS` is refused before it is decoded. A PDF is checked by its header
and stored as it came. Anything else (HTML, SVG, HEIC, archives, a PNG header on other bytes) is
refused with the reason in Chinese, under the form field it came in.
"""

from __future__ import annotations

import io
import re
import struct
import warnings
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from liandong.common.errors import InvalidInput
from liandong.incidents.upload_limits import MAX_IMAGE_PIXELS


@dataclass(frozen=True)
class Kind:
    name: str
    content_type: str
    extensions: tuple[str, ...]  # the first is the one given to a file named otherwise
    image_format: str | None  # Pillow's format for images; None for documents stored as they are
    save_modes: frozenset[str] = frozenset()
    save_options: tuple[tuple[str, Any], ...] = ()


JPEG = Kind(
    "jpeg",
    "image/jpeg",
    (".jpg", ".jpeg", ".jpe"),
    "JPEG",
    frozenset({"L", "RGB", "CMYK"}),
    (("quality", 90),),
)
PNG = Kind(
    "png",
    "image/png",
    (".png",),
    "PNG",
    frozenset({"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"}),
)
GIF = Kind("gif", "image/gif", (".gif",), "GIF", frozenset({"1", "L", "P"}))
WEBP = Kind(
    "webp", "image/webp", (".webp",), "WEBP", frozenset({"RGB", "RGBA"}), (("quality", 90),)
)
PDF = Kind("pdf", "application/pdf", (".pdf",), None)

KINDS = (JPEG, PNG, GIF, WEBP, PDF)
#: The content types an attachment may be served as (anything else goes out as octet-stream).
CONTENT_TYPES = frozenset(k.content_type for k in KINDS)

UNSUPPORTED = "只能上传照片（JPEG、PNG、GIF、WebP）或PDF扫描件；该文件的内容不是这些格式"
HEIF = "暂不支持HEIC/HEIF格式的照片，请在手机相机设置中选择“兼容性最佳”（JPEG）后重新上传"
BROKEN = "图片已损坏或无法识别，请重新拍摄或选择其他图片"
TOO_MANY_PIXELS = f"图片像素过多（超过{MAX_IMAGE_PIXELS // 10_000}万像素），请降低分辨率后重新上传"

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs"}
_HEIF_BRANDS |= {b"mif1", b"msf1", b"avif", b"avis"}


def detect(head: bytes) -> Kind | None:
    """The kind of file these first bytes begin, by their signature (a few bytes suffice)."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    return None


def served_type(head: bytes) -> str:
    """The content type a stored file goes out as: what its bytes are, else octet-stream."""
    kind = detect(head)
    return kind.content_type if kind else "application/octet-stream"


@dataclass(frozen=True)
class Examined:
    """An accepted upload: the bytes to store (re-encoded for an image) and what they are."""

    data: bytes
    kind: Kind

    @property
    def content_type(self) -> str:
        return self.kind.content_type


def examine(data: bytes, *, field: str = "file") -> Examined:
    """Accept `data` as a photo or a scanned document, or raise InvalidInput on `field`."""
    kind = detect(data[:16])
    if kind is None:
        if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
            raise InvalidInput.one(field, "unsupported_type", HEIF)
        raise InvalidInput.one(field, "unsupported_type", UNSUPPORTED)
    if kind.image_format is None:
        return Examined(data, kind)
    return Examined(_reencode(data, kind, field), kind)


def _reencode(data: bytes, kind: Kind, field: str) -> bytes:
    assert kind.image_format is not None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[kind.image_format]) as image:
                width, height = image.size  # from the header: nothing is decoded yet
                if width * height > MAX_IMAGE_PIXELS:
                    raise InvalidInput.one(field, "too_many_pixels", TOO_MANY_PIXELS)
                upright = _upright(image)  # decodes the first frame only
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput.one(field, "too_many_pixels", TOO_MANY_PIXELS) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise InvalidInput.one(field, "broken_image", BROKEN) from None
    # Everything the file said about itself goes, but the colours and the transparency.
    options: dict[str, Any] = dict(kind.save_options)
    kept = {k: upright.info[k] for k in ("icc_profile", "transparency") if k in upright.info}
    if kept.get("icc_profile"):
        options["icc_profile"] = kept["icc_profile"]
    if "transparency" in kept and kind in (PNG, GIF) and upright.mode in ("P", "L", "RGB"):
        options["transparency"] = kept["transparency"]
    upright.info = {}
    if upright.mode not in kind.save_modes:
        wants_alpha = "A" in upright.mode or "transparency" in kept
        target = "RGBA" if wants_alpha and "RGBA" in kind.save_modes else "RGB"
        if kind is GIF:
            target = "P"
        upright = upright.convert(target)
        options.pop("transparency", None)
    out = io.BytesIO()
    try:
        upright.save(out, format=kind.image_format, **options)
    except (OSError, ValueError):
        raise InvalidInput.one(field, "broken_image", BROKEN) from None
    return out.getvalue()


def _upright(image: Image.Image) -> Image.Image:
    """The image turned as its EXIF orientation says (as it was, if that EXIF is unreadable)."""
    try:
        return ImageOps.exif_transpose(image)
    except (SyntaxError, ValueError, KeyError, TypeError, struct.error):
        image.load()
        return image.copy()


_CONTROL = re.compile(r"[\x00-\x1f\x7f/\\]")


def display_name(name: str, kind: Kind, *, default: str = "附件") -> str:
    """The name shown and given on download: the uploader's name with the extension of what the
    file is (a JPEG sent as `x.html` is kept as `x.jpg`), at most 200 characters."""
    clean = _CONTROL.sub("", name or "").strip() or default
    stem, dot, ext = clean.rpartition(".")
    if dot and stem and f".{ext.lower()}" in kind.extensions:
        base, suffix = stem, f".{ext}"
    else:
        base, suffix = (stem if dot and stem else clean), kind.extensions[0]
    return base[: 200 - len(suffix)] + suffix
