#!/usr/bin/env python3
"""Derive schemas/synth/tumor_mix.csv from two public tables (run from the crate root):

- imsweb/data-generator@928d890 src/main/resources/frequencies/sites_sex_{female,male}.csv
  (IMS BSD-style licence): relative frequency of (site, histology, behavior) by sex;
- SEER ICD-O-3 Site/Histology Validation List 2018-03-23 (US government work):
  only combinations on the list are kept, so every generated tumor passes SEER IF25.

Usage: tools/derive_tumor_mix.py /work/shared/edits-tables > schemas/synth/tumor_mix.csv
"""
import csv, sys

root = sys.argv[1]

def expand(spec):
    out = set()
    for part in spec.replace(' ', '').split(','):
        if not part:
            continue
        a, _, b = part.partition('-')
        b = b or a
        for n in range(int(a[1:]), int(b[1:]) + 1):
            out.add('C%03d' % n)
    return out

valid = set()
with open(f'{root}/seer-site-type/sitetype.icdo3.20180323.csv', newline='') as f:
    for row in csv.DictReader(f):
        spec = row['Site recode']
        if not spec.startswith('C'):
            continue  # named groups (EYE, NOS ...) are covered by their ranges elsewhere
        hist, beh = row['Histology/Behavior'].split('/')
        for site in expand(spec):
            valid.add((site, hist, beh))

print('sex,weight,primarySite,histology,behavior')
kept = dropped = 0
for sex, name in (('F', 'female'), ('M', 'male')):
    with open(f'{root}/imsweb-data-generator/sites_sex_{name}.csv', newline='') as f:
        for row in csv.reader(f):
            if not row or not row[0][:1].isdigit():
                continue
            w, site, hist, beh = row[0], row[1], row[2], row[3]
            if (site, hist, beh) in valid:
                print(f'{sex},{w},{site},{hist},{beh}')
                kept += 1
            else:
                dropped += 1
print(f'kept {kept}, dropped {dropped}', file=sys.stderr)
