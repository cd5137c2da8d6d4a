#!/usr/bin/env python3
"""Format and consistency check for schema_ids.csv and schema_selection.csv.

Usage: python3 check_schema_tables.py [generator_sites.csv ...]

Checks
1. Both files: UTF-8, LF line endings, exact header, field formats
   (Schema ID 5 digits, sites Cnnn, histologies nnnn, lo <= hi, years 4 digits, from <= to).
2. Every schema_id used in schema_selection.csv is listed in schema_ids.csv and vice versa.
3. No two rows of different Schema IDs overlap (site x histology rectangles intersect, discriminator
   values compatible -- an empty discriminator matches any value -- and the Schema IDs' diagnosis-year
   ranges intersect), unless the pair is in ALLOWED_SPLITS: pairs that the SEER algorithm separates
   by an input this table does not carry (behavior, sex assigned at birth, or a year limit on a
   single selection row). See README-schema.md, "Known gaps".
4. Known facts (lung/breast/prostate/colon adenocarcinoma).
5. Optional: every (primarySite, histologyIcdO3) pair of the given imsweb data-generator CSV files
   (columns: probability, site, histology, behavior, ...) maps to at least one row; unmapped pairs are
   listed (they are reported, not treated as errors).
"""
import csv
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
IDS = os.path.join(HERE, "schema_ids.csv")
SEL = os.path.join(HERE, "schema_selection.csv")

# (schema_a, schema_b, what separates them in the SEER algorithm)
ALLOWED_SPLITS = [
    ('00100', '09090', 'year'), ('00111', '00130', 'year'), ('00111', '09090', 'year'), ('00130', '09100', 'year'),
    ('00280', '09340', 'year'), ('00400', '00722', 'behavior'), ('00400', '00723', 'behavior'), ('00400', '09722', 'behavior/year'),
    ('00400', '09723', 'behavior/year'), ('00421', '00450', 'year'), ('00421', '00528', 'year'), ('00421', '09350', 'year'),
    ('00421', '09360', 'year'), ('00421', '09500', 'year'), ('00430', '00528', 'year'), ('00430', '00721', 'behavior'),
    ('00430', '00722', 'behavior'), ('00430', '00723', 'behavior'), ('00430', '09721', 'behavior'), ('00430', '09722', 'behavior'),
    ('00430', '09723', 'behavior'), ('00440', '00552', 'sex'), ('00450', '00520', 'year'), ('00450', '00528', 'year'),
    ('00450', '00552', 'sex'), ('00450', '00721', 'behavior'), ('00450', '00722', 'behavior'), ('00450', '00723', 'behavior'),
    ('00450', '09721', 'behavior'), ('00450', '09722', 'behavior'), ('00450', '09723', 'behavior'), ('00459', '00528', 'year'),
    ('00459', '00721', 'behavior'), ('00459', '00722', 'behavior'), ('00459', '00723', 'behavior'), ('00459', '09721', 'year'),
    ('00459', '09722', 'year'), ('00459', '09723', 'year'), ('00460', '09500', 'year'), ('00700', '00722', 'behavior'),
    ('00700', '09722', 'behavior/year'), ('00721', '00790', 'behavior'), ('00721', '00795', 'behavior'), ('00721', '00811', 'behavior'),
    ('00721', '00821', 'behavior'), ('00721', '00822', 'behavior'), ('00721', '00830', 'behavior'), ('00722', '00790', 'behavior'),
    ('00722', '00795', 'behavior'), ('00722', '00811', 'behavior'), ('00722', '00821', 'behavior'), ('00722', '00822', 'behavior'),
    ('00722', '00830', 'behavior'), ('00723', '00790', 'behavior'), ('00723', '00795', 'behavior'), ('00723', '00811', 'behavior'),
    ('00723', '00821', 'behavior'), ('00723', '00822', 'behavior'), ('00723', '00830', 'behavior'), ('00790', '09721', 'behavior/year'),
    ('00790', '09722', 'behavior/year'), ('00790', '09723', 'behavior/year'), ('00795', '09721', 'behavior'), ('00795', '09722', 'behavior'),
    ('00795', '09723', 'behavior'), ('00811', '09721', 'behavior'), ('00811', '09722', 'behavior'), ('00811', '09723', 'behavior'),
    ('00821', '09721', 'behavior'), ('00821', '09722', 'behavior'), ('00821', '09723', 'behavior'), ('00822', '09721', 'behavior/year'),
    ('00822', '09722', 'behavior/year'), ('00822', '09723', 'behavior/year'), ('00830', '09721', 'behavior/year'), ('00830', '09722', 'behavior/year'),
    ('00830', '09723', 'behavior/year'),
]

errors = []


def err(msg):
    errors.append(msg)


def read(path, header):
    raw = open(path, "rb").read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        err(f"{path}: not UTF-8")
        return []
    if b"\r" in raw:
        err(f"{path}: contains CR characters (must be LF only)")
    if not text.endswith("\n"):
        err(f"{path}: missing final newline")
    rows = list(csv.reader(text.splitlines()))
    if not rows or rows[0] != header:
        err(f"{path}: header {rows[0] if rows else None} != {header}")
        return []
    for i, r in enumerate(rows[1:], start=2):
        if len(r) != len(header):
            err(f"{path}:{i}: {len(r)} fields, expected {len(header)}")
    return [dict(zip(header, r)) for r in rows[1:] if len(r) == len(header)]


def main(argv):
    ids = read(IDS, ["schema_id", "name", "from_dx_year", "to_dx_year"])
    sel = read(SEL, ["site_lo", "site_hi", "hist_lo", "hist_hi", "discriminator_1", "discriminator_2", "schema_id"])
    years = {}
    for i, r in enumerate(ids, start=2):
        sid = r["schema_id"]
        if not re.fullmatch(r"\d{5}", sid):
            err(f"schema_ids.csv:{i}: bad schema_id {sid!r}")
        if sid in years:
            err(f"schema_ids.csv:{i}: duplicate schema_id {sid}")
        if not r["name"].strip():
            err(f"schema_ids.csv:{i}: empty name")
        lo, hi = r["from_dx_year"], r["to_dx_year"]
        for y in (lo, hi):
            if y and not re.fullmatch(r"(19|20)\d\d", y):
                err(f"schema_ids.csv:{i}: bad year {y!r}")
        lo_i = int(lo) if lo else 0
        hi_i = int(hi) if hi else 9999
        if lo_i > hi_i:
            err(f"schema_ids.csv:{i}: from_dx_year > to_dx_year")
        years[sid] = (lo_i, hi_i)

    used = set()
    seen = set()
    for i, r in enumerate(sel, start=2):
        for k in ("site_lo", "site_hi"):
            if not re.fullmatch(r"C\d{3}", r[k]):
                err(f"schema_selection.csv:{i}: bad {k} {r[k]!r}")
        for k in ("hist_lo", "hist_hi"):
            if not re.fullmatch(r"\d{4}", r[k]):
                err(f"schema_selection.csv:{i}: bad {k} {r[k]!r}")
        for k in ("discriminator_1", "discriminator_2"):
            if r[k] and not re.fullmatch(r"\d", r[k]):
                err(f"schema_selection.csv:{i}: bad {k} {r[k]!r} (one value per row)")
        if r["site_lo"] > r["site_hi"] or r["hist_lo"] > r["hist_hi"]:
            err(f"schema_selection.csv:{i}: lo > hi")
        if r["schema_id"] not in years:
            err(f"schema_selection.csv:{i}: schema_id {r['schema_id']} not in schema_ids.csv")
        key = tuple(r.values())
        if key in seen:
            err(f"schema_selection.csv:{i}: duplicate row")
        seen.add(key)
        used.add(r["schema_id"])
    for sid in years:
        if sid not in used:
            err(f"schema_ids.csv: {sid} has no selection row")

    # 3. overlaps
    allowed = {(a, b) for a, b, _ in ALLOWED_SPLITS} | {(b, a) for a, b, _ in ALLOWED_SPLITS}
    hit_allowed = set()
    by_site = sorted(sel, key=lambda r: (r["site_lo"], r["site_hi"]))
    n = len(by_site)
    for i in range(n):
        a = by_site[i]
        for j in range(i + 1, n):
            b = by_site[j]
            if b["site_lo"] > a["site_hi"]:
                break
            if a["schema_id"] == b["schema_id"]:
                continue
            if a["hist_lo"] > b["hist_hi"] or b["hist_lo"] > a["hist_hi"]:
                continue
            if a["discriminator_1"] and b["discriminator_1"] and a["discriminator_1"] != b["discriminator_1"]:
                continue
            if a["discriminator_2"] and b["discriminator_2"] and a["discriminator_2"] != b["discriminator_2"]:
                continue
            ya, yb = years.get(a["schema_id"], (0, 9999)), years.get(b["schema_id"], (0, 9999))
            if ya[0] > yb[1] or yb[0] > ya[1]:
                continue
            pair = (a["schema_id"], b["schema_id"])
            if pair in allowed:
                hit_allowed.add(tuple(sorted(pair)))
                continue
            err(f"overlap: {list(a.values())} vs {list(b.values())}")
    for a, b, why in ALLOWED_SPLITS:
        if (a, b) not in hit_allowed:
            err(f"ALLOWED_SPLITS entry {a}/{b} ({why}) no longer needed; remove it")

    # 4. known facts
    def lookup(site, hist, d1="", d2=""):
        return sorted({r["schema_id"] for r in sel
                       if r["site_lo"] <= site <= r["site_hi"] and r["hist_lo"] <= hist <= r["hist_hi"]
                       and r["discriminator_1"] in ("", d1) and r["discriminator_2"] in ("", d2)})
    facts = [(s, "8140", ["00360", "09360"]) for s in ("C340", "C341", "C342", "C343", "C348", "C349")]
    facts += [(s, "8500", ["00480"]) for s in ("C500", "C501", "C502", "C503", "C504", "C505", "C506", "C508", "C509")]
    facts += [("C619", "8140", ["00580"])]
    facts += [(s, "8140", ["00200"]) for s in ("C180", "C182", "C183", "C184", "C185", "C186", "C187", "C188", "C189", "C199", "C209")]
    facts += [("C181", "8140", ["00190", "09190"]), ("C160", "8140", [])]
    for site, hist, want in facts:
        got = lookup(site, hist)
        if got != want:
            err(f"known fact {site}/{hist}: got {got}, expected {want}")
    if lookup("C160", "8140", d1="2") != ["00169"] or lookup("C160", "8140", d1="0") != ["00170"]:
        err("known fact C160/8140 with Schema Discriminator 1 (2 -> 00169, 0 -> 00170) failed")

    # 5. generator coverage (informational)
    for path in argv:
        missing = []
        with open(path, newline="") as f:
            for r in csv.reader(f):
                if len(r) < 3 or not r[0][:1].isdigit():
                    continue
                site, hist = r[1], r[2]
                if not any(x["site_lo"] <= site <= x["site_hi"] and x["hist_lo"] <= hist <= x["hist_hi"] for x in sel):
                    missing.append((site, hist, r[3] if len(r) > 3 else ""))
        print(f"{os.path.basename(path)}: {len(missing)} (site, histology) pairs map to no schema")
        for m in missing:
            print("   ", *m)

    print(f"schema_ids.csv: {len(ids)} schema ids; schema_selection.csv: {len(sel)} rows; "
          f"{len(hit_allowed)} schema pairs separated by behavior/sex/row-level year (allowed)")
    if errors:
        for e in errors[:200]:
            print("ERROR:", e)
        print(f"{len(errors)} error(s)")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
