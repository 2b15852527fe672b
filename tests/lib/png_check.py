#!/usr/bin/env python3
"""png_check.py PNG [MIN_COLORS] [MIN_INK]: is a screenshot not blank?

Decodes the PNG with the standard library only (zlib and the five row
filters; 8-bit RGB or RGBA, not interlaced, as Chromium writes them) and
passes when the image has at least MIN_COLORS distinct colours (default 8)
and at least MIN_INK (default 0.02) of its pixels differ from the most
common colour (the background).  Prints the figures either way.
"""
import struct
import sys
import zlib


def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError("unsupported PNG layout %r" % (hdr,))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(h):
        f = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + ((a + b) >> 1)) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pred) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def main():
    path = sys.argv[1]
    min_colors = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    min_ink = float(sys.argv[3]) if len(sys.argv) > 3 else 0.02
    w, h, bpp, rows = decode(path)
    counts = {}
    # every other row and column is plenty for a verdict and four times faster
    for y in range(0, h, 2):
        r = rows[y]
        for x in range(0, w * bpp, 2 * bpp):
            px = r[x:x + 3]
            counts[px] = counts.get(px, 0) + 1
    total = sum(counts.values())
    bg = max(counts.values())
    ink = 1.0 - bg / total
    print("%s: %dx%d, %d colours, %.1f%% of pixels not background"
          % (path, w, h, len(counts), 100 * ink))
    ok = len(counts) >= min_colors and ink >= min_ink
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
