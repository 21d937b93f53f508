#!/usr/bin/env python3
"""wxcheck: fail the build when the linked image breaks W^X.

Reads a 64-bit little-endian ELF (Python stdlib only) and checks:
  1. no allocated section is both writable and executable;
  2. no loadable segment is both writable and executable;
  3. with --layout, the sections agree with the page map src/mm/mmu.c builds from
     the linker symbols: every executable section lies in [__image_start,
     __text_end) (mapped RX), every writable one in [__rodata_end, __image_end)
     (mapped RW), every other allocated one in [__image_start, __rodata_end)
     (mapped RX or R), and the four symbols are page-aligned and in order.

  wxcheck: cairn.elf: section .evil [0x80200000, 0x80200010) is writable and executable (W^X)

Exit 0 (and write --stamp) when clean, 1 on a violation or an unreadable ELF,
2 on bad usage.
"""

import argparse
import struct
import sys

SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 0x1, 0x2, 0x4
SHT_SYMTAB, SHT_NOBITS = 2, 8
PT_LOAD = 1
PF_X, PF_W = 0x1, 0x2
PAGE = 4096
LAYOUT_SYMS = ("__image_start", "__text_end", "__rodata_end", "__image_end")


class ElfError(Exception):
    """The file is not an ELF this script can read."""


def unpack(fmt, data, off):
    """struct.unpack_from with a bounds check that names the problem."""
    size = struct.calcsize(fmt)
    if off < 0 or off + size > len(data):
        raise ElfError(f"truncated at offset {off:#x}")
    return struct.unpack_from(fmt, data, off)


def read_elf(data):
    """(sections, segments, symbols) of an ELF64 LE image.

    sections: dicts name/flags/addr/size; segments: dicts flags/vaddr/memsz;
    symbols: {name: value} of the symbol table (may be empty)."""
    if data[:4] != b"\x7fELF":
        raise ElfError("not an ELF file")
    if data[4] != 2 or data[5] != 1:
        raise ElfError("not a 64-bit little-endian ELF")
    (_, _, _, _, phoff, shoff, _, _, phentsize, phnum, shentsize, shnum,
     shstrndx) = unpack("<HHIQQQIHHHHHH", data, 16)
    if phnum and phentsize < 56 or shnum and shentsize < 64:
        raise ElfError("bad header entry sizes")
    segments = []
    for i in range(phnum):
        p_type, p_flags, _, p_vaddr, _, _, p_memsz, _ = unpack("<IIQQQQQQ", data, phoff + i * phentsize)
        segments.append({"type": p_type, "flags": p_flags, "vaddr": p_vaddr, "memsz": p_memsz})
    raw = []
    for i in range(shnum):
        raw.append(unpack("<IIQQQQIIQQ", data, shoff + i * shentsize))
    if shnum and shstrndx >= shnum:
        raise ElfError("bad section name table index")

    def cstr(table_off, table_size, off):
        if off >= table_size:
            raise ElfError("string offset outside its table")
        end = data.find(b"\0", table_off + off, table_off + table_size)
        if end < 0:
            raise ElfError("unterminated string")
        return data[table_off + off:end].decode("utf-8", "replace")

    sections = []
    names_off, names_size = (raw[shstrndx][4], raw[shstrndx][5]) if shnum else (0, 0)
    for name, sh_type, flags, addr, off, size, link, _, _, entsize in raw:
        sections.append({"name": cstr(names_off, names_size, name), "type": sh_type, "flags": flags,
                         "addr": addr, "size": size, "off": off, "link": link, "entsize": entsize})
    symbols = {}
    for s in sections:
        if s["type"] != SHT_SYMTAB or s["entsize"] < 24 or s["link"] >= len(sections):
            continue
        strtab = sections[s["link"]]
        for i in range(s["size"] // s["entsize"]):
            st_name, _, _, _, st_value, _ = unpack("<IBBHQQ", data, s["off"] + i * s["entsize"])
            if st_name:
                symbols[cstr(strtab["off"], strtab["size"], st_name)] = st_value
    return sections, segments, symbols


def span(s):
    """[lo, hi) of a section as text."""
    return f"[{s['addr']:#x}, {s['addr'] + s['size']:#x})"


def check(sections, segments, symbols, layout):
    """Every W^X violation as a message (empty when clean)."""
    out = []
    alloc = [s for s in sections if s["flags"] & SHF_ALLOC and s["size"]]
    for s in alloc:
        if s["flags"] & SHF_WRITE and s["flags"] & SHF_EXECINSTR:
            out.append(f"section {s['name']} {span(s)} is writable and executable (W^X)")
    for i, p in enumerate(segments):
        if p["type"] == PT_LOAD and p["flags"] & PF_W and p["flags"] & PF_X:
            out.append(f"LOAD segment {i} [{p['vaddr']:#x}, {p['vaddr'] + p['memsz']:#x}) "
                       "is writable and executable (W^X)")
    if not layout:
        return out
    missing = [n for n in LAYOUT_SYMS if n not in symbols]
    if missing:
        return out + [f"layout symbol {n} missing (platform/qemu-virt/link.ld)" for n in missing]
    start, text_end, rodata_end, image_end = (symbols[n] for n in LAYOUT_SYMS)
    for n in LAYOUT_SYMS:
        if symbols[n] % PAGE:
            out.append(f"layout symbol {n} = {symbols[n]:#x} is not page-aligned")
    if not start <= text_end <= rodata_end <= image_end:
        return out + ["layout symbols out of order: __image_start <= __text_end <= __rodata_end <= __image_end"]
    for s in alloc:
        lo, hi = s["addr"], s["addr"] + s["size"]
        if s["flags"] & SHF_EXECINSTR:
            ok, where = start <= lo and hi <= text_end, "text pages (RX)"
        elif s["flags"] & SHF_WRITE:
            ok, where = rodata_end <= lo and hi <= image_end, "data pages (RW)"
        else:
            ok, where = start <= lo and hi <= rodata_end, "text/rodata pages (read-only)"
        if not ok:
            out.append(f"section {s['name']} {span(s)} lies outside the {where}")
    return out


def main(argv=None):
    """Command line entry point."""
    ap = argparse.ArgumentParser(description="Check an ELF image for W^X violations.")
    ap.add_argument("--layout", action="store_true",
                    help="also check sections against the link.ld permission boundaries")
    ap.add_argument("--stamp", metavar="FILE", help="write FILE on success (for a custom_target)")
    ap.add_argument("elf")
    args = ap.parse_args(argv)
    try:
        with open(args.elf, "rb") as f:
            data = f.read()
        problems = check(*read_elf(data), args.layout)
    except (OSError, ElfError) as e:
        print(f"wxcheck: {args.elf}: {e}", file=sys.stderr)
        return 1
    for p in problems:
        print(f"wxcheck: {args.elf}: {p}", file=sys.stderr)
    if problems:
        return 1
    if args.stamp:
        with open(args.stamp, "w", encoding="utf-8") as f:
            f.write("ok\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
