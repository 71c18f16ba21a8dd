#!/usr/bin/env python3
"""Writes the image fixtures of src/media/metadata_test.cc into this folder.

For each of JPEG, PNG and WebP: `clean.*` holds a 16x16 image with colour information only
(an ICC profile made here; JFIF and Adobe segments for JPEG), and `metadata.*` is the same
file with metadata added around it: EXIF with a GPS IFD, XMP, and per format IPTC, comments,
text chunks, timestamps, trailing data. Stripping `metadata.*` must give `clean.*` byte for
byte. The pixels come from libvips (`vips` on the PATH, metadata stripped); everything else is
built here with the standard library. Run: python3 make_vectors.py
"""
import pathlib
import struct
import subprocess
import tempfile
import zlib

HERE = pathlib.Path(__file__).resolve().parent
SECRET = "Secret Owner"  # the test asserts that this never reaches a stripped file


def s15(x):
    return struct.pack(">i", round(x * 65536))


def icc_profile():
    """A small RGB display profile (ICC v2, matrix and gamma 2.2 curves)."""
    def xyz(x, y, z):
        return b"XYZ \0\0\0\0" + s15(x) + s15(y) + s15(z)
    text = b"myelin test RGB"
    desc = (b"desc\0\0\0\0" + struct.pack(">I", len(text) + 1) + text + b"\0" +
            b"\0" * 8 + b"\0\0\0" + b"\0" * 67)
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, 0x0233) + b"\0\0"
    tags = [(b"desc", desc), (b"cprt", b"text\0\0\0\0public domain\0\0\0\0"),
            (b"wtpt", xyz(0.9642, 1.0, 0.8249)), (b"rXYZ", xyz(0.4361, 0.2225, 0.0139)),
            (b"gXYZ", xyz(0.3851, 0.7169, 0.0971)), (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)),
            (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve)]
    table, data = b"", b""
    offset = 128 + 4 + 12 * len(tags)
    for sig, body in tags:
        body += b"\0" * (-len(body) % 4)
        table += sig + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = (struct.pack(">I", size) + b"\0" * 4 + struct.pack(">I", 0x02100000) +
              b"mntrRGB XYZ " + struct.pack(">6H", 2024, 1, 1, 0, 0, 0) + b"acsp" +
              b"\0" * 24 + struct.pack(">I", 0) + s15(0.9642) + s15(1.0) + s15(0.8249))
    header += b"\0" * (128 - len(header))
    return header + struct.pack(">I", len(tags)) + table + data


def exif_tiff():
    """A little-endian TIFF structure: IFD0 (Make, Model, GPS pointer) and a GPS IFD."""
    def ifd(entries, start):
        # entries: (tag, type, count, value bytes); values over 4 bytes go after the IFD.
        size = 2 + 12 * len(entries) + 4
        out, extra = struct.pack("<H", len(entries)), b""
        for tag, kind, count, value in entries:
            if len(value) <= 4:
                out += struct.pack("<HHI", tag, kind, count) + value.ljust(4, b"\0")
            else:
                out += struct.pack("<HHII", tag, kind, count, start + size + len(extra))
                extra += value + b"\0" * (len(value) % 2)
        return out + b"\0\0\0\0" + extra

    def rationals(*values):
        return b"".join(struct.pack("<II", n, d) for n, d in values)

    make, model = b"SecretCam\0", (SECRET + "'s camera\0").encode()
    ifd0_size = 2 + 12 * 3 + 4 + len(make) + len(model)
    gps_at = 8 + ifd0_size
    ifd0 = ifd([(0x010F, 2, len(make), make), (0x0110, 2, len(model), model),
                (0x8825, 4, 1, struct.pack("<I", gps_at))], 8)
    assert len(ifd0) == ifd0_size
    gps = ifd([(0, 1, 4, bytes([2, 3, 0, 0])), (1, 2, 2, b"N\0"),
               (2, 5, 3, rationals((52, 1), (31, 1), (1234, 100))), (3, 2, 2, b"E\0"),
               (4, 5, 3, rationals((13, 1), (24, 1), (3456, 100)))], gps_at)
    return b"II*\0" + struct.pack("<I", 8) + ifd0 + gps


# An odd length on purpose: the WebP chunk then needs its pad byte.
XMP = ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
       '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
       'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
       'xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
       f'exif:GPSLatitude="52,31.2N" exif:GPSLongitude="13,24.6E" dc:creator="{SECRET}"/>'
       '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>').encode()
if len(XMP) % 2 == 0:
    XMP += b" "


def vips_base(suffix, options):
    with tempfile.TemporaryDirectory() as tmp:
        base = pathlib.Path(tmp)
        subprocess.run(["vips", "black", base / "black.v", "16", "16", "--bands", "3"], check=True)
        subprocess.run(["vips", "linear", base / "black.v", base / "colour.v", "1 1 1",
                        "40 120 200", "--uchar"], check=True)
        out = base / f"image{suffix}"
        subprocess.run(["vips", "copy", base / "colour.v", f"{out}[strip,{options}]"], check=True)
        return out.read_bytes()


def jpeg_segment(marker, payload):
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def jpeg_vectors():
    base = vips_base(".jpg", "Q=50,interlace")
    assert base[:2] == b"\xff\xd8" and base[-2:] == b"\xff\xd9"
    jfif = jpeg_segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0")
    icc = jpeg_segment(0xE2, b"ICC_PROFILE\0\x01\x01" + icc_profile())
    adobe = jpeg_segment(0xEE, b"Adobe\0\x64\0\0\0\0\x01")
    exif = jpeg_segment(0xE1, b"Exif\0\0" + exif_tiff())
    xmp = jpeg_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0" + XMP)
    iptc = b"\x1c\x02\x50" + struct.pack(">H", len(SECRET)) + SECRET.encode()
    iptc += b"\0" * (len(iptc) % 2)
    photoshop = jpeg_segment(0xED, b"Photoshop 3.0\0" + b"8BIM\x04\x04\0\0" +
                             struct.pack(">I", len(iptc)) + iptc)
    mpf = jpeg_segment(0xE2, b"MPF\0II*\0\x08\0\0\0\0\0\0\0\0\0")
    comment = jpeg_segment(0xFE, f"Taken by {SECRET}".encode())
    jfxx = jpeg_segment(0xE0, b"JFXX\0\x13\0\0")
    clean = base[:2] + jfif + icc + adobe + base[2:]
    # Fill bytes before a marker, metadata before the frame, between the last scan and EOI,
    # and a second image with its own EXIF after EOI (as Multi-Picture files have).
    metadata = (base[:2] + b"\xff" + jfif + jfxx + exif + icc + xmp + mpf + photoshop + adobe +
                comment + base[2:-2] + comment + xmp + b"\xff\xd9" + b"\xff\xd8" + exif + b"\xff\xd9")
    return clean, metadata


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_vectors():
    base = vips_base(".png", "compression=9")
    signature, ihdr_end = base[:8], 8 + 25
    assert base[12:16] == b"IHDR"
    iccp = png_chunk(b"iCCP", b"myelin test RGB\0\0" + zlib.compress(icc_profile()))
    clean = base[:ihdr_end] + iccp + base[ihdr_end:]
    before = (png_chunk(b"tIME", struct.pack(">HBBBBB", 2024, 5, 17, 12, 30, 0)) +
              png_chunk(b"eXIf", exif_tiff()) +
              png_chunk(b"tEXt", f"Author\0{SECRET}".encode()) +
              png_chunk(b"zTXt", b"Comment\0\0" + zlib.compress(SECRET.encode())) +
              png_chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0" + XMP))
    iend = len(base) - 12
    assert base[iend + 4:iend + 8] == b"IEND"
    metadata = (base[:ihdr_end] + iccp + before + base[ihdr_end:iend] +
                png_chunk(b"tEXt", f"Comment\0{SECRET}".encode()) + base[iend:] +
                f"after IEND: {SECRET}".encode())
    return clean, metadata


def riff_chunk(kind, data):
    return kind + struct.pack("<I", len(data)) + data + b"\0" * (len(data) % 2)


def webp_chunks(riff):
    chunks, at = {}, 12
    while at < len(riff):
        size = struct.unpack("<I", riff[at + 4:at + 8])[0]
        chunks[riff[at:at + 4]] = riff[at + 8:at + 8 + size]
        at += 8 + size + size % 2
    return chunks


def webp_vectors():
    # Lossless: its image chunk has an odd size here, so that a kept chunk has a pad byte.
    vp8l = webp_chunks(vips_base(".webp", "lossless"))[b"VP8L"]
    assert len(vp8l) % 2 == 1

    def webp(flags, chunks):
        vp8x = riff_chunk(b"VP8X", bytes([flags, 0, 0, 0]) + struct.pack("<I", 15)[:3] +
                          struct.pack("<I", 15)[:3])
        body = b"WEBP" + vp8x + riff_chunk(b"ICCP", icc_profile()) + riff_chunk(b"VP8L", vp8l) + chunks
        return b"RIFF" + struct.pack("<I", len(body)) + body

    clean = webp(0x20, b"")
    metadata = (webp(0x20 | 0x08 | 0x04, riff_chunk(b"EXIF", exif_tiff()) + riff_chunk(b"XMP ", XMP)) +
                f"after RIFF: {SECRET}".encode())
    return clean, metadata


def main():
    for suffix, (clean, metadata) in ((".jpg", jpeg_vectors()), (".png", png_vectors()),
                                      (".webp", webp_vectors())):
        (HERE / f"clean{suffix}").write_bytes(clean)
        (HERE / f"metadata{suffix}").write_bytes(metadata)


if __name__ == "__main__":
    main()
