#!/usr/bin/env python3
"""Regenerate the edits-engine code tables in this folder from the shared reference material.

Usage (Python 3.11, standard library only):

    derive_tables.py [SHARED]            write every table, then run the self-checks
    derive_tables.py [SHARED] --check    write nothing: regenerate in memory, fail if a
                                         committed CSV differs, then run the self-checks
    derive_tables.py [SHARED] --compare  also list where the WerthPADOH/naaccr code lists
                                         disagree with the NAACCR v26 item pages
    derive_tables.py [SHARED] --excluded also list the coded v26 items left without a table

SHARED defaults to ../../../shared relative to this script (i.e. /work/shared). It must hold
edits-tables/ and naaccr/dictionaries/ as described in shared/edits-tables/README.md.
See README.md in this folder for what every table is and where each fact comes from.
"""
import csv
import io
import os
import re
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))

# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------

MAX_RANGE = 1000  # a range code (e.g. 001-997) is expanded only if it has at most this many values


def snake(name):
    """naaccrId (camelCase) -> snake_case."""
    return re.sub(r'(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])', '_', name).lower()


def expand_range(token):
    """'001-120' -> ['001', ..., '120'] (zero-padded to the width of the endpoints)."""
    lo, hi = token.split('-')
    assert len(lo) == len(hi), token
    n_lo, n_hi = int(lo), int(hi)
    assert n_lo <= n_hi and n_hi - n_lo + 1 <= MAX_RANGE, token
    return ['%0*d' % (len(lo), n) for n in range(n_lo, n_hi + 1)]


MOJIBAKE = {'â€™': '’', 'â€”': '—', 'â€“': '–', 'â€œ': '“', 'Â®': '®', 'Â ': ' '}


def clean_label(text):
    """Item-page description -> label: undo UTF-8/cp1252 mojibake and markdown emphasis."""
    s = text
    for bad, good in MOJIBAKE.items():
        s = s.replace(bad, good)
    s = s.replace('\\*', '')            # escaped asterisks are footnote markers
    s = s.replace('\\<', '<').replace('\\>', '>')
    s = re.sub(r'\*\*(.+?)\*\*', r'\1', s)                      # **bold**
    s = re.sub(r'(?<![\w*])\*(\S(?:[^*]*?\S)?)\*(?![\w*])', r'\1', s)  # *emphasis*
    s = re.sub(r'\s+', ' ', s).strip()
    return s


def csv_text(header, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator='\n', quoting=csv.QUOTE_MINIMAL)
    w.writerow(header)
    for r in rows:
        w.writerow(r)
    return buf.getvalue()


def read_csv(path, **kw):
    with open(path, encoding='utf-8', newline='') as f:
        return list(csv.DictReader(f, **kw))


# --------------------------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------------------------

class Sources:
    def __init__(self, shared):
        self.shared = shared
        self.et = os.path.join(shared, 'edits-tables')
        self.dictionary = self._load_dictionary()
        self.item_codes = self._load_item_codes()
        self.werth_dir = os.path.join(self.et, 'naaccr-code-lists')

    def _load_dictionary(self):
        path = os.path.join(self.shared, 'naaccr', 'dictionaries', 'naaccr-dictionary-260.xml')
        ns = {'n': 'http://naaccr.org/naaccrxml'}
        root = ET.parse(path).getroot()
        items = {}
        for d in root.iterfind('.//n:ItemDef', ns):
            items[d.get('naaccrId')] = {
                'num': d.get('naaccrNum'), 'length': int(d.get('length')),
                'dataType': d.get('dataType', 'text'), 'name': d.get('naaccrName')}
        assert len(items) == 771, len(items)
        return items

    def _load_item_codes(self):
        out = {}
        for r in read_csv(os.path.join(self.et, 'naaccr26-item-codes.csv')):
            out.setdefault(r['naaccrId'], []).append((r['code'], r['description']))
        return out

    def werth(self, name):
        """A WerthPADOH/naaccr code list as [(code, label)] (comment lines skipped)."""
        path = os.path.join(self.werth_dir, name + '.csv')
        with open(path, encoding='utf-8', newline='') as f:
            lines = [l for l in f if not l.startswith('#')]
        return [(r['code'], r['label']) for r in csv.DictReader(lines)]


# --------------------------------------------------------------------------------------------
# 1. Allowed codes of coded NAACCR v26 items
# --------------------------------------------------------------------------------------------

# Items whose v26 page lists only special values of an open-ended or scheme-specific field
# (free text, identifiers, AJCC/EOD/pediatric values, ICD codes), so a code table would reject
# valid data. They get no table.
EXCLUDE = {
    **{i: 'AJCC values are chapter-specific strings; the page lists only 88/99/blank'
       for i in ['ajccTnmClinT', 'ajccTnmClinN', 'ajccTnmClinM', 'ajccTnmClinStageGroup',
                 'ajccTnmPathT', 'ajccTnmPathN', 'ajccTnmPathM', 'ajccTnmPathStageGroup',
                 'ajccTnmPostTherapyClinT', 'ajccTnmPostTherapyClinN', 'ajccTnmPostTherapyClinM',
                 'ajccTnmPostTherapyClinStageGrp', 'ajccTnmPostTherapyT', 'ajccTnmPostTherapyN',
                 'ajccTnmPostTherapyM', 'ajccTnmPostTherapyStageGroup',
                 'tnmClinT', 'tnmClinN', 'tnmClinM', 'tnmClinStageGroup',
                 'tnmPathT', 'tnmPathN', 'tnmPathM', 'tnmPathStageGroup',
                 'derivedSeerCombinedT', 'derivedSeerCombinedN', 'derivedSeerCombinedM']},
    **{i: 'schema-specific EOD/pediatric codes; the page lists only examples'
       for i in ['eodPrimaryTumor', 'eodRegionalNodes', 'eodMets',
                 'pediatricPrimaryTumor', 'pediatricRegionalNodes', 'pediatricMets']},
    **{i: 'derived stage groups: the three pages disagree (01S vs 0IS, 0 missing in Cmb)'
       for i in ['derivedSeerClinStgGrp', 'derivedSeerPathStgGrp', 'derivedSeerCmbStgGrp']},
    **{i: 'site-specific surgery codes; the page lists only 00/99'
       for i in ['rxHospSurgSite9802', 'rxSummSurgSite9802']},
    'causeOfDeath': 'ICD-7..10 codes; the page lists only 0000/7777/7797',
    'countyCurrent': 'retired CoC item; the page lists only 998/999',
    'medicalRecordNumber': 'free-form identifier; the page lists only UNK/RT/SU',
}

# Items whose page gives examples around a range ("00, 01, 02, .., 59"): the full list is
# written here; codes that also appear on the page take the page's description as label.
OVERRIDES = {
    'ageAtDiagnosis': [('000-120', 'Age in completed years'), ('999', None)],
    'sequenceNumberCentral': [
        ('00-59', 'Sequence of an in situ/malignant neoplasm (Federally required)'),
        ('60-88', 'Sequence of a non-malignant or registry-defined neoplasm (88 = unknown)'),
        ('98', None), ('99', None)],
    'sequenceNumberHospital': [
        ('00-59', 'Sequence of an in situ/malignant primary'),
        ('60-88', 'Sequence of a non-malignant primary (88 = unspecified)'),
        ('99', None)],
    'recordNumberRecode': [('01-99', 'Record number for patient in database')],
    'multiplicityCounter': [('00-87', 'Number of tumors'), ('88', None), ('89', None),
                            ('99', None)],
    'rxHospRegLnRemoved': [('00-90', 'Number of regional lymph nodes removed'),
                           ('95', None), ('96', None), ('97', None), ('98', None),
                           ('99', None)],
    'rxSummRegLnExamined': [('00-90', 'Number of regional lymph nodes examined'),
                            ('95', None), ('96', None), ('97', None), ('98', None),
                            ('99', None)],
}

# Evident typing errors on an item page: (item, code as printed) -> code
PATCH = {('figoStage', 'IC2'): '1C2'}

# Items sharing one table. The script asserts that every member has exactly the same codes;
# labels come from the first member. Items not listed get codes_<snake_case(naaccrId)>.
SHARED = {
    'codes_race': ['race2', 'race3', 'race4', 'race5'],
    'codes_race1': ['race1', 'raceNapiia'],
    'codes_country': ['addrAtDxCountry', 'addrCurrentCountry', 'birthplaceCountry',
                      'followupContactCountry', 'placeOfDeathCountry'],
    'codes_state': ['addrAtDxState', 'addrCurrentState', 'birthplaceState',
                    'followUpContactState', 'placeOfDeathState'],
    'codes_county': ['countyAtDx', 'countyAtDxAnalysis', 'countyAtDxGeocode1990',
                     'countyAtDxGeocode2000', 'countyAtDxGeocode2010', 'countyAtDxGeocode2020'],
    'codes_state_fips': ['stateAtDxGeocode19708090', 'stateAtDxGeocode2000',
                         'stateAtDxGeocode2010', 'stateAtDxGeocode2020'],
    'codes_census_block_group': ['censusBlockGroup2000', 'censusBlockGroup2010',
                                 'censusBlockGroup2020', 'censusBlockGrp197090'],
    'codes_census_tract_certainty': ['censusTrCertainty2000', 'censusTrCertainty2010',
                                     'censusTractCertainty2020', 'censusTrCert19708090'],
    'codes_behavior': ['behaviorCodeIcdO3', 'behaviorIcdO2'],
    'codes_grade_2018': ['gradeClinical', 'gradePathological', 'gradePostTherapyClin',
                         'gradePostTherapy', 'derivedSummaryGrade2018'],
    'codes_over_ride': [
        'overRideAcsnClassSeq', 'overRideCocSiteType', 'overRideHospseqDxconf',
        'overRideHospseqSite', 'overRideIllDefineSite', 'overRideLeukLymphoma',
        'overRideNameSex', 'overRideReportSource', 'overRideSeqnoDxconf',
        'overRideSiteBehavior', 'overRideSiteEodDxDt', 'overRideSiteLatEod',
        'overRideSiteLatMorph', 'overRideSiteLatSeqno', 'overRideSiteTnmStggrp',
        'overRideSiteType', 'overRideSsNodespos', 'overRideSsTnmM', 'overRideSsTnmN',
        'overRideSurgDxconf', 'overRideTnm3', 'overRideTnmStage', 'overRideTnmTis'] +
        ['overRideCs%d' % n for n in range(1, 20)],
    'codes_path_report_type': ['pathReportType%d' % n for n in range(1, 6)],
    'codes_radiation_external_beam_tech': ['phase%dRadiationExternalBeamTech' % n
                                           for n in (1, 2, 3)],
    'codes_radiation_primary_tx_volume': ['phase1RadiationPrimaryTxVolume',
                                          'phase2RadiationPrimaryTxVolume'],
    'codes_radiation_to_draining_ln': ['phase%dRadiationToDrainingLN' % n for n in (1, 2, 3)],
    'codes_radiation_treatment_modality': ['phase%dRadiationTreatmentModality' % n
                                           for n in (1, 2, 3)],
    'codes_number_of_fractions': ['phase%dNumberOfFractions' % n for n in (1, 2, 3)],
    'codes_tumor_marker': ['tumorMarker1', 'tumorMarker2', 'tumorMarker3'],
    'codes_tumor_size': ['tumorSizeSummary', 'tumorSizeClinical', 'tumorSizePathologic'],
    'codes_seer_summary_stage': ['seerSummaryStage2000', 'seerSummaryStage1977',
                                 'derivedSs2000', 'derivedSs1977'],
    'codes_summary_stage_2018': ['summaryStage2018', 'derivedSummaryStage2018'],
    'codes_derived_seer_cmb_src': ['derivedSeerCmbTSrc', 'derivedSeerCmbNSrc',
                                   'derivedSeerCmbMSrc'],
    'codes_tnm_staged_by': ['tnmClinStagedBy', 'tnmPathStagedBy'],
    'codes_rx_surg_prim_site': ['rxSummSurgPrimSite', 'rxHospSurgPrimSite'],
    'codes_rx_chemo': ['rxSummChemo', 'rxHospChemo'],
    'codes_rx_hormone': ['rxSummHormone', 'rxHospHormone'],
    'codes_rx_brm': ['rxSummBrm', 'rxHospBrm'],
    'codes_rx_other': ['rxSummOther', 'rxHospOther'],
    'codes_rx_palliative_proc': ['rxSummPalliativeProc', 'rxHospPalliativeProc'],
    'codes_rx_dx_stg_proc': ['rxSummDxStgProc', 'rxHospDxStgProc'],
    'codes_rx_scope_reg_ln_sur': ['rxSummScopeRegLnSur', 'rxHospScopeRegLnSur'],
    'codes_rx_surg_oth_reg_dis': ['rxSummSurgOthRegDis', 'rxHospSurgOthRegDis'],
    'codes_rx_recon_breast': ['rxSummReconBreast', 'rxHospReconBreast'],
    'codes_rx_reg_ln': ['rxSummRegLnExamined', 'rxHospRegLnRemoved'],
    'codes_coc_coding_sys': ['cocCodingSysCurrent', 'cocCodingSysOriginal'],
    'codes_morph_coding_sys': ['morphCodingSysCurrent', 'morphCodingSysOriginl'],
    'codes_site_coding_sys': ['siteCodingSysCurrent', 'siteCodingSysOriginal'],
    'codes_ruca': ['ruca2010', 'ruca2000'],
    'codes_uric': ['uric2010', 'uric2000'],
    'codes_rural_urban_continuum': ['ruralurbanContinuum2013', 'ruralurbanContinuum2003'],
    'codes_rural_urban_continuum1993': ['ruralurbanContinuum1993'],
    'codes_survival_flag': ['survFlagActiveFollowup', 'survFlagPresumedAlive'],
    'codes_sequence_number_central': ['sequenceNumberCentral'],
    'codes_sequence_number_hospital': ['sequenceNumberHospital'],
}

# Items without code rows on their v26 page, and where their codes come from instead.
# (item -> (how, argument)); each is described in README.md.
FROM_ELSEWHERE = {
    'behaviorCodeIcdO3': ('behavior', None),   # page prose: "Valid codes are 0-3"
    'behaviorIcdO2': ('behavior', None),       # page prose: "Valid codes are 0-3"
    'gradeClinical': ('item', 'derivedSummaryGrade2018'),
    'gradePathological': ('item', 'derivedSummaryGrade2018'),
    'gradePostTherapyClin': ('item', 'derivedSummaryGrade2018'),
    'gradePostTherapy': ('item', 'derivedSummaryGrade2018'),
    'derivedSs2000': ('item', 'seerSummaryStage2000'),
    'derivedSs1977': ('item', 'seerSummaryStage1977'),
    'birthplaceState': ('state', None),
    'placeOfDeathState': ('state', None),
    'geocodingAccuracyType': ('werth', 'geocodingAccuracyType'),
}

STATE_ITEMS = SHARED['codes_state']
COUNTRY_ITEMS = SHARED['codes_country']

# State/province codes of WerthPADOH state.csv left out: obsolete codes (CM, TT, CZ, PI) and PH,
# which is neither a USPS nor a Canada Post code (a Philippine resident is coded XX).
STATE_DROP = {'CM', 'TT', 'CZ', 'PI', 'PH'}
# NAACCR special state codes, in the order of the Addr at DX--State [80] page
STATE_SPECIAL = ['CD', 'US', 'XX', 'YY', 'ZZ']
STATE_LABEL_FIX = {'NU': 'Nunavut', 'YT': 'Yukon'}   # Werth labels: 'Nunavat Territory', ...

# ISO 3166-1 alpha-3 (249 officially assigned codes, English short names). Not in /work/shared:
# written here and checked against datasets/country-codes (ODC PDDL) data/iso3166.csv +
# data/country-codes.csv; see README.md.
ISO3166_ALPHA3 = """\
ABW Aruba|AFG Afghanistan|AGO Angola|AIA Anguilla|ALA Åland Islands|ALB Albania|AND Andorra|\
ARE United Arab Emirates|ARG Argentina|ARM Armenia|ASM American Samoa|ATA Antarctica|\
ATF French Southern Territories|ATG Antigua and Barbuda|AUS Australia|AUT Austria|\
AZE Azerbaijan|BDI Burundi|BEL Belgium|BEN Benin|BES Bonaire, Sint Eustatius and Saba|\
BFA Burkina Faso|BGD Bangladesh|BGR Bulgaria|BHR Bahrain|BHS Bahamas|\
BIH Bosnia and Herzegovina|BLM Saint Barthélemy|BLR Belarus|BLZ Belize|BMU Bermuda|\
BOL Bolivia|BRA Brazil|BRB Barbados|BRN Brunei Darussalam|BTN Bhutan|BVT Bouvet Island|\
BWA Botswana|CAF Central African Republic|CAN Canada|CCK Cocos (Keeling) Islands|\
CHE Switzerland|CHL Chile|CHN China|CIV Côte d'Ivoire|CMR Cameroon|\
COD Congo, Democratic Republic of the|COG Congo|COK Cook Islands|COL Colombia|COM Comoros|\
CPV Cabo Verde|CRI Costa Rica|CUB Cuba|CUW Curaçao|CXR Christmas Island|CYM Cayman Islands|\
CYP Cyprus|CZE Czechia|DEU Germany|DJI Djibouti|DMA Dominica|DNK Denmark|\
DOM Dominican Republic|DZA Algeria|ECU Ecuador|EGY Egypt|ERI Eritrea|ESH Western Sahara|\
ESP Spain|EST Estonia|ETH Ethiopia|FIN Finland|FJI Fiji|FLK Falkland Islands (Malvinas)|\
FRA France|FRO Faroe Islands|FSM Micronesia, Federated States of|GAB Gabon|\
GBR United Kingdom|GEO Georgia|GGY Guernsey|GHA Ghana|GIB Gibraltar|GIN Guinea|\
GLP Guadeloupe|GMB Gambia|GNB Guinea-Bissau|GNQ Equatorial Guinea|GRC Greece|GRD Grenada|\
GRL Greenland|GTM Guatemala|GUF French Guiana|GUM Guam|GUY Guyana|HKG Hong Kong|\
HMD Heard Island and McDonald Islands|HND Honduras|HRV Croatia|HTI Haiti|HUN Hungary|\
IDN Indonesia|IMN Isle of Man|IND India|IOT British Indian Ocean Territory|IRL Ireland|\
IRN Iran|IRQ Iraq|ISL Iceland|ISR Israel|ITA Italy|JAM Jamaica|JEY Jersey|JOR Jordan|\
JPN Japan|KAZ Kazakhstan|KEN Kenya|KGZ Kyrgyzstan|KHM Cambodia|KIR Kiribati|\
KNA Saint Kitts and Nevis|KOR Korea, Republic of|KWT Kuwait|\
LAO Lao People's Democratic Republic|LBN Lebanon|LBR Liberia|LBY Libya|LCA Saint Lucia|\
LIE Liechtenstein|LKA Sri Lanka|LSO Lesotho|LTU Lithuania|LUX Luxembourg|LVA Latvia|\
MAC Macao|MAF Saint Martin (French part)|MAR Morocco|MCO Monaco|MDA Moldova|\
MDG Madagascar|MDV Maldives|MEX Mexico|MHL Marshall Islands|MKD North Macedonia|MLI Mali|\
MLT Malta|MMR Myanmar|MNE Montenegro|MNG Mongolia|MNP Northern Mariana Islands|\
MOZ Mozambique|MRT Mauritania|MSR Montserrat|MTQ Martinique|MUS Mauritius|MWI Malawi|\
MYS Malaysia|MYT Mayotte|NAM Namibia|NCL New Caledonia|NER Niger|NFK Norfolk Island|\
NGA Nigeria|NIC Nicaragua|NIU Niue|NLD Netherlands|NOR Norway|NPL Nepal|NRU Nauru|\
NZL New Zealand|OMN Oman|PAK Pakistan|PAN Panama|PCN Pitcairn|PER Peru|PHL Philippines|\
PLW Palau|PNG Papua New Guinea|POL Poland|PRI Puerto Rico|\
PRK Korea, Democratic People's Republic of|PRT Portugal|PRY Paraguay|\
PSE Palestine, State of|PYF French Polynesia|QAT Qatar|REU Réunion|ROU Romania|\
RUS Russian Federation|RWA Rwanda|SAU Saudi Arabia|SDN Sudan|SEN Senegal|SGP Singapore|\
SGS South Georgia and the South Sandwich Islands|\
SHN Saint Helena, Ascension and Tristan da Cunha|SJM Svalbard and Jan Mayen|\
SLB Solomon Islands|SLE Sierra Leone|SLV El Salvador|SMR San Marino|SOM Somalia|\
SPM Saint Pierre and Miquelon|SRB Serbia|SSD South Sudan|STP Sao Tome and Principe|\
SUR Suriname|SVK Slovakia|SVN Slovenia|SWE Sweden|SWZ Eswatini|\
SXM Sint Maarten (Dutch part)|SYC Seychelles|SYR Syrian Arab Republic|\
TCA Turks and Caicos Islands|TCD Chad|TGO Togo|THA Thailand|TJK Tajikistan|TKL Tokelau|\
TKM Turkmenistan|TLS Timor-Leste|TON Tonga|TTO Trinidad and Tobago|TUN Tunisia|\
TUR Türkiye|TUV Tuvalu|TWN Taiwan|TZA Tanzania|UGA Uganda|UKR Ukraine|\
UMI United States Minor Outlying Islands|URY Uruguay|USA United States of America|\
UZB Uzbekistan|VAT Holy See|VCT Saint Vincent and the Grenadines|VEN Venezuela|\
VGB Virgin Islands (British)|VIR Virgin Islands (U.S.)|VNM Viet Nam|VUT Vanuatu|\
WLF Wallis and Futuna|WSM Samoa|YEM Yemen|ZAF South Africa|ZMB Zambia|ZWE Zimbabwe"""


def iso_countries():
    out = []
    for entry in ISO3166_ALPHA3.split('|'):
        code, name = entry.split(' ', 1)
        out.append((code, name))
    return out


def page_codes(src, item):
    """Codes listed on the item's v26 page -> ([(code, label)], reason-if-not-a-code-list).

    Dropped: 'Blank' rows (blank is the edit's business), group headings such as '(01-29)',
    footnote asterisks after codes ('00*'), duplicated rows. Range rows are expanded."""
    rows = src.item_codes.get(item, [])
    out, seen, problems = [], set(), []
    for raw, desc in rows:
        code = raw.strip().rstrip('*').strip()
        code = PATCH.get((item, code), code)
        label = clean_label(desc)
        if code.lower() == 'blank' or re.fullmatch(r'\.{2,}', code):
            continue
        if re.fullmatch(r'\(\d+-\d+\)', code):       # a group heading, e.g. (01-29)
            continue
        if re.fullmatch(r'\d+-\d+', code):
            lo, hi = code.split('-')
            if len(lo) != len(hi):
                problems.append((1, 'range %s has endpoints of different widths' % code))
                continue
            if int(hi) - int(lo) + 1 > MAX_RANGE:
                problems.append((0, 'numeric field (range %s): a format/range check, '
                                    'not a code list' % code))
                continue
            codes = expand_range(code)
        elif re.fullmatch(r'[0-9A-Z]{1,6}|\([a-z]{1,2}\)', code):
            codes = [code]
        elif re.fullmatch(r'\d+\.\d+', code) and all(
                re.fullmatch(r'\d+\.\d+', c.strip()) for c, _ in rows):
            problems.append((3, 'version numbers (%s, ...): the list grows every year' % code))
            continue
        else:
            problems.append((2, 'values are measurements, dates, identifiers or ICD codes '
                                '(%s), not a code list' % code.strip()))
            continue
        for c in codes:
            if c not in seen:
                seen.add(c)
                out.append((c, label))
    if problems:
        return None, min(problems)[1]
    if not out:
        return None, 'the page lists no code (blank only)'
    return out, None


def override_codes(src, item):
    page = {c.strip().rstrip('*'): clean_label(d) for c, d in src.item_codes.get(item, [])}
    out = []
    for token, label in OVERRIDES[item]:
        codes = expand_range(token) if '-' in token else [token]
        for c in codes:
            lab = page.get(c, label)
            assert lab is not None, (item, c)
            out.append((c, lab))
    return out


def state_codes(src):
    page = dict(page_codes(src, 'addrAtDxState')[0])
    assert list(page) == STATE_SPECIAL, list(page)
    out, seen = [], set()
    for code, label in src.werth('state'):
        if code in STATE_DROP or code in STATE_SPECIAL or code in seen:
            continue
        seen.add(code)
        out.append((code, STATE_LABEL_FIX.get(code, label)))
    out += [(c, page[c]) for c in STATE_SPECIAL]
    return out


def country_codes(src):
    special, _ = page_codes(src, 'addrAtDxCountry')
    iso = iso_countries()
    clash = {c for c, _ in special} & {c for c, _ in iso}
    assert not clash, clash
    return iso + special


def behavior_codes(src):
    werth = dict(src.werth('behavior'))
    return [(c, werth[c]) for c in '0123']


def item_table_codes(src):
    """-> ({item: [(code, label)]}, {item: reason excluded}, {item: provenance})"""
    codes, excluded, prov = {}, {}, {}
    for item in src.dictionary:
        if item in EXCLUDE:
            excluded[item] = EXCLUDE[item]
            continue
        if item in OVERRIDES:
            codes[item] = override_codes(src, item)
            prov[item] = 'v26 page, range completed'
        elif item in STATE_ITEMS:
            codes[item] = state_codes(src)
            prov[item] = 'Werth state.csv + v26 [80] specials'
        elif item in COUNTRY_ITEMS:
            codes[item] = country_codes(src)
            prov[item] = 'ISO 3166-1 + v26 [102] specials'
        elif item in FROM_ELSEWHERE:
            how, arg = FROM_ELSEWHERE[item]
            if how == 'behavior':
                codes[item] = behavior_codes(src)
                prov[item] = 'v26 page prose 0-3, Werth labels'
            elif how == 'item':
                codes[item] = page_codes(src, arg)[0]
                prov[item] = 'v26 page of ' + arg
            elif how == 'werth':
                codes[item] = src.werth(arg)
                prov[item] = 'Werth %s.csv' % arg
            else:
                raise AssertionError(how)
        elif item in src.item_codes:
            got, reason = page_codes(src, item)
            if got is None:
                excluded[item] = reason
            else:
                codes[item] = got
                prov[item] = 'v26 page'
    # structural checks against the dictionary
    for item, lst in codes.items():
        meta = src.dictionary[item]
        for c, _ in lst:
            assert len(c) <= meta['length'], (item, c, meta['length'])
            if meta['dataType'] == 'digits':
                assert c.isdigit(), (item, c)
        assert len({c for c, _ in lst}) == len(lst), item
    return codes, excluded, prov


def build_code_tables(src):
    codes, excluded, prov = item_table_codes(src)
    table_of, tables = {}, {}
    for table, members in SHARED.items():
        present = [m for m in members if m in codes]
        assert present == members, (table, set(members) - set(present))
        ref = [c for c, _ in codes[members[0]]]
        for m in members[1:]:
            other = [c for c, _ in codes[m]]
            assert sorted(other) == sorted(ref), (table, m, set(ref) ^ set(other))
        tables[table] = codes[members[0]]
        for m in members:
            table_of[m] = table
    for item, lst in codes.items():
        if item not in table_of:
            table = 'codes_' + snake(item)
            assert table not in tables, table
            tables[table] = lst
            table_of[item] = table
    # topography codes serve Primary Site [400]
    table_of['primarySite'] = 'icdo3_topography'
    return tables, table_of, excluded, prov


# --------------------------------------------------------------------------------------------
# 2. ICD-O-3 topography and morphology (codes only, no WHO term text)
# --------------------------------------------------------------------------------------------

def read_tsv(path):
    with open(path, encoding='latin-1', newline='') as f:
        lines = f.read().splitlines()
    return [l.split('\t') for l in lines[1:] if l.strip()]


def topography(src):
    rows = read_tsv(os.path.join(src.et, 'icdo3-who', 'Topoenglish.txt'))
    out = []
    for code, lvl, _title in rows:
        if lvl == '4':
            assert re.fullmatch(r'C\d\d\.\d', code), code
            out.append((code.replace('.', ''), code[:3]))
    out.sort()
    assert len(out) == len(set(out))
    return out


def morphology(src):
    o3 = set()
    for code, struct, _label in read_tsv(os.path.join(src.et, 'icdo3-who', 'Morphenglish.txt')):
        if struct == 'title':
            assert re.fullmatch(r'\d{4}/\d', code), code
            o3.add(code)
    o31 = set()
    for r in read_csv(os.path.join(src.et, 'icdo3-who', 'icd_o_31_histologies.csv')):
        code = r['icdo3_histology_code']
        assert re.fullmatch(r'\d{4}/\d', code), code
        o31.add(code)
    out = []
    for code in sorted(o3 | o31):
        source = 'both' if code in o3 and code in o31 else ('icdo3' if code in o3 else 'icdo3.1')
        out.append((code[:4], code[5], source))
    return out


# --------------------------------------------------------------------------------------------
# 3. SEER ICD-O-3 site/type list (2018-03-23), one row per (site range, histology/behaviour)
# --------------------------------------------------------------------------------------------

def seer_site_type(src):
    path = os.path.join(src.et, 'seer-site-type', 'sitetype.icdo3.20180323.csv')
    rows = read_csv(path)
    assert len(rows) == 12084, len(rows)
    out = []
    for r in rows:
        hist, beh = r['Histology/Behavior'].split('/')
        assert re.fullmatch(r'\d{4}', hist) and re.fullmatch(r'\d', beh), r
        for part in r['Site recode'].replace(' ', '').split(','):
            lo, _, hi = part.partition('-')
            hi = hi or lo
            assert re.fullmatch(r'C\d{3}', lo) and re.fullmatch(r'C\d{3}', hi) and lo <= hi, part
            out.append((lo, hi, hist, beh))
    return out, len(rows)


# --------------------------------------------------------------------------------------------
# 4. Site lists of the laterality edits (SEER IF24 / IF42, standard-edits-logic.md D8, D9, D14)
# --------------------------------------------------------------------------------------------

# (site_lo, site_hi, from_dx_year, to_dx_year); '' = unbounded. Years inclusive.
# "dx > 1978" -> from 1979, "dx > 2003" -> from 2004, "dx >= 2021" -> from 2021,
# "dx >= 2018: C090, C091 not checked" -> to 2017.
PAIRED_SITES = [
    ('C079', 'C079', '', ''), ('C080', 'C080', '', ''), ('C091', 'C091', '', '2017'),
    ('C098', 'C099', '', ''), ('C301', 'C301', '', ''), ('C310', 'C310', '', ''),
    ('C312', 'C312', '', ''), ('C341', 'C349', '', ''), ('C384', 'C384', '', ''),
    ('C500', 'C509', '', ''), ('C569', 'C569', '', ''), ('C570', 'C570', '', ''),
    ('C620', 'C629', '', ''), ('C630', 'C630', '', ''), ('C631', 'C631', '', ''),
    ('C649', 'C649', '', ''), ('C659', 'C659', '', ''), ('C669', 'C669', '', ''),
    ('C690', 'C699', '', ''), ('C740', 'C749', '', ''), ('C754', 'C754', '', ''),
    ('C081', 'C081', '1979', ''), ('C090', 'C090', '1979', '2017'),
    ('C400', 'C403', '1979', ''), ('C441', 'C443', '1979', ''), ('C445', 'C447', '1979', ''),
    ('C471', 'C471', '1979', ''), ('C472', 'C472', '1979', ''), ('C491', 'C491', '1979', ''),
    ('C492', 'C492', '1979', ''),
    ('C700', 'C700', '2004', ''), ('C710', 'C714', '2004', ''), ('C722', 'C725', '2004', ''),
    ('C444', 'C444', '2021', ''),
]
# Laterality 5 (midline) is allowed only at these sites, dx 2010+.
MIDLINE_SITES = [
    ('C700', 'C700', '2010', ''), ('C710', 'C714', '2010', ''), ('C722', 'C725', '2010', ''),
    ('C443', 'C443', '2010', ''), ('C445', 'C445', '2010', ''),
]


# --------------------------------------------------------------------------------------------
# 5. IARC morphological families (IARC Technical Report 42, Ferlay et al. 2005, Appendix 1):
#    the Topography/Morphology and Sex/Morphology checks (standard-edits-logic.md E10, E11).
#    The facts -- which histology is in which family, and the sites a family must or must not
#    have -- were read from CanReg5's copy of IARC's tables (shared/edits-tables/canreg5-iarc/)
#    and are restated here as inclusive ranges in our own layout.
# --------------------------------------------------------------------------------------------

def iarc_lines(src, name):
    with open(os.path.join(src.et, 'canreg5-iarc', name), encoding='latin-1') as f:
        return [l.rstrip('\r\n') for l in f if l.strip() and not l.startswith('/')]


def iarc_families(src):
    """-> (morph rows (hist_lo, hist_hi, family, rule), site rows (family, rule, site_lo, site_hi),
    family names {(family, rule): name})."""
    rule_of = {'*': 'any', '+': 'must', '-': 'must_not'}
    names = iarc_lines(src, 'MorphFamDict.txt')
    fam = []
    for line in iarc_lines(src, 'MorphFam.txt'):
        hist, value = line[:4], line[4:7]
        assert re.fullmatch(r'\d{4}', hist) and re.fullmatch(r'\*\*\*|[+-]\d\d', value), line
        family = '' if value == '***' else value[1:]
        fam.append((int(hist), family, rule_of[value[0]]))
    fam.sort()
    morph = []
    for hist, family, rule in fam:
        if morph and morph[-1][2:] == (family, rule) and int(morph[-1][1]) == hist - 1:
            morph[-1] = (morph[-1][0], '%04d' % hist, family, rule)
        else:
            morph.append(('%04d' % hist, '%04d' % hist, family, rule))
    sites = []
    for name, rule in (('Must.txt', 'must'), ('MustNot.txt', 'must_not')):
        for line in iarc_lines(src, name):
            key = line[:6]
            m = re.fullmatch(r'(\d\d)C(\d\d)([\d*])', key)
            assert m, line
            family, group, last = m.groups()
            lo, hi = ('C%s0' % group, 'C%s9' % group) if last == '*' else (
                'C%s%s' % (group, last),) * 2
            sites.append((family, rule, lo, hi))
    # Family names: line n names '+n'; the seven must-not families follow the 63 must families.
    used = {(f, r) for _, _, f, r in morph if f}
    n_must = max(int(f) for f, r in used if r == 'must')
    fam_names = []
    for family, rule in sorted(used, key=lambda k: (k[1] != 'must', k[0])):
        index = int(family) + (n_must if rule == 'must_not' else 0)
        fam_names.append((family, rule, names[index - 1]))
    return morph, sites, fam_names


# --------------------------------------------------------------------------------------------
# 6. SEER site recode ICD-O-3/WHO 2008 (the site groups of incidence and survival reports),
#    from imsweb/algorithms' parse of seer.cancer.gov/siterecode/icdo3_dwhoheme/.
# --------------------------------------------------------------------------------------------

def seer_site_recode(src):
    path = os.path.join(src.et, 'imsweb-algorithms', 'seersiterecode', 'site-recode-data-2008.csv')
    out = []
    for r in read_csv(path):
        if not r['Group code']:
            continue
        for col in ('Sites IN', 'Sites OUT', 'Hist IN', 'Hist OUT'):
            assert re.fullmatch(r'[C0-9,\-]*', r[col].replace(' ', '')), (col, r)
        out.append((r['Group code'], r['Group Name'], r['Sites IN'].replace(' ', ''),
                    r['Sites OUT'].replace(' ', ''), r['Hist IN'].replace(' ', ''),
                    r['Hist OUT'].replace(' ', '')))
    return out


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------

def all_tables(src):
    """-> ordered {file name: csv text}, plus info for the checks."""
    files = {}
    tables, table_of, excluded, prov = build_code_tables(src)
    for name in sorted(tables):
        files[name + '.csv'] = csv_text(['code', 'label'], tables[name])
    files['item_code_lists.csv'] = csv_text(['naaccrId', 'table'],
                                            sorted(table_of.items()))
    topo = topography(src)
    files['icdo3_topography.csv'] = csv_text(['code', 'site3'], topo)
    files['icdo3_morphology.csv'] = csv_text(['histology', 'behavior', 'source'], morphology(src))
    sst, n_src = seer_site_type(src)
    files['seer_site_type.csv'] = csv_text(['site_lo', 'site_hi', 'histology', 'behavior'], sst)
    head = ['site_lo', 'site_hi', 'from_dx_year', 'to_dx_year']
    files['paired_sites.csv'] = csv_text(head, PAIRED_SITES)
    files['laterality_midline_sites.csv'] = csv_text(head, MIDLINE_SITES)
    files['seer_site_recode.csv'] = csv_text(
        ['code', 'name', 'sites_in', 'sites_out', 'hist_in', 'hist_out'], seer_site_recode(src))
    morph, sites, fam_names = iarc_families(src)
    files['iarc_morph_family.csv'] = csv_text(['hist_lo', 'hist_hi', 'family', 'rule'], morph)
    files['iarc_family_sites.csv'] = csv_text(['family', 'rule', 'site_lo', 'site_hi'], sites)
    files['iarc_family_names.csv'] = csv_text(['family', 'rule', 'name'], fam_names)
    info = {'tables': tables, 'table_of': table_of, 'excluded': excluded, 'prov': prov,
            'seer_source_rows': n_src}

    return files, info


HAND_KEPT = {'schema_ids.csv', 'schema_selection.csv'}

README_BEGIN = '<!-- BEGIN GENERATED by derive_tables.py: do not edit by hand -->'
README_END = '<!-- END GENERATED -->'


def readme_block(info):
    """Markdown listing every code table (rows, items, source) and every coded item left out."""
    members = {}
    for item, table in info['table_of'].items():
        members.setdefault(table, []).append(item)
    lines = ['| table | rows | items (naaccrId) | codes from |', '|---|---|---|---|']
    for table in sorted(info['tables']):
        items = sorted(members[table])
        provs = sorted({info['prov'][i] for i in items})
        shown = ', '.join(items) if len(items) <= 6 else '%s, ... (%d items)' % (
            ', '.join(items[:4]), len(items))
        lines.append('| `%s` | %d | %s | %s |' % (table, len(info['tables'][table]), shown,
                                                  '; '.join(provs)))
    lines += ['', 'Coded v26 items left out (%d):' % len(info['excluded']), '']
    by_reason = {}
    for item, reason in sorted(info['excluded'].items()):
        key = re.sub(r' \(.*?\)', '', reason) if reason.startswith(('values', 'numeric', 'version', 'range')) else reason
        by_reason.setdefault(key, []).append(item)
    for reason, items in sorted(by_reason.items(), key=lambda kv: -len(kv[1])):
        lines.append('- %s: %s' % (reason, ', '.join(items)))
    return '\n'.join(lines) + '\n'


def with_readme_block(readme, info):
    a, b = readme.index(README_BEGIN), readme.index(README_END)
    return readme[:a + len(README_BEGIN)] + '\n\n' + readme_block(info) + '\n' + readme[b:]


def parse_csv_text(text):
    return list(csv.DictReader(io.StringIO(text)))


# --------------------------------------------------------------------------------------------
# Self-checks: facts verified independently of the derivation above
# --------------------------------------------------------------------------------------------

def self_check(src, files, info):
    t = {name[:-4]: parse_csv_text(text) for name, text in files.items()}
    fails = []

    def check(cond, what):
        if not cond:
            fails.append(what)

    def codes_of(item):
        return {r['code'] for r in t[info['table_of'][item]]}

    topo = {r['code'] for r in t['icdo3_topography']}
    check('C509' in topo and 'C619' in topo and 'C809' in topo, 'C509/C619/C809 in topography')
    check('C811' not in topo, 'C811 not in topography')
    check(len(topo) == 330 and len({r['site3'] for r in t['icdo3_topography']}) == 70,
          'topography: 330 codes in 70 three-character groups')
    check(all(r['code'].startswith(r['site3']) for r in t['icdo3_topography']), 'site3 = prefix')

    morph = {(r['histology'], r['behavior']) for r in t['icdo3_morphology']}
    hist = {r['histology'] for r in t['icdo3_morphology']}
    check(('8140', '3') in morph and ('8500', '3') in morph, '8140/3 and 8500/3 in morphology')
    check('8888' not in hist, '8888 not in morphology')
    check(('9751', '3') in morph and ('9751', '1') in morph, '9751/1 (icdo3) and /3 (icdo3.1)')
    src_of = {(r['histology'], r['behavior']): r['source'] for r in t['icdo3_morphology']}
    check(src_of[('8140', '3')] == 'both' and src_of[('9751', '1')] == 'icdo3'
          and src_of[('9751', '3')] == 'icdo3.1', 'morphology source column')

    sst = [(r['site_lo'], r['site_hi'], r['histology'], r['behavior']) for r in t['seer_site_type']]

    def site_type_ok(site, h, b):
        return any(lo <= site <= hi and h == hh and b == bb for lo, hi, hh, bb in sst)
    check(site_type_ok('C509', '8500', '3'), '(C509, 8500/3) in SEER site/type')
    check(not site_type_ok('C509', '9100', '3'), '(C509, 9100/3) not in SEER site/type')
    check(site_type_ok('C619', '8140', '3'), '(C619, 8140/3) in SEER site/type')
    check(not site_type_ok('C441', '8070', '3'), 'skin SCC (C441, 8070/3) absent on purpose')
    check(all(lo in topo and hi in topo for lo, hi, _, _ in sst),
          'every SEER site/type range endpoint is an ICD-O-3 topography code')
    groups = {}
    for r in read_csv(os.path.join(src.et, 'seer-site-type', 'sitetype.icdo3.20180323.csv')):
        cell = r['Site recode'].replace(' ', '')
        for part in cell.split(','):
            lo, _, hi = part.partition('-')
            for code in topo:
                if lo <= code <= (hi or lo):
                    groups.setdefault(code, set()).add(cell)
    check(len(set().union(*groups.values())) == 82 and len(groups) == 330
          and all(len(g) == 1 for g in groups.values()),
          'each of the 330 topography codes is in exactly one of the 82 SEER site groups')
    check(len(sst) == 20915 and info['seer_source_rows'] == 12084,
          'SEER site/type: 12,084 source rows -> 20,915 range rows')

    check(codes_of('sexAssignedAtBirth') == {'1', '2', '9'}, 'sexAssignedAtBirth = {1,2,9}')
    check(codes_of('vitalStatus') == {'0', '1'}, 'vitalStatus = {0,1}')
    check(codes_of('behaviorCodeIcdO3') == {'0', '1', '2', '3'}, 'behavior = {0,1,2,3}')
    check(codes_of('laterality') == set('0123459'), 'laterality = {0,1,2,3,4,5,9}')
    check(codes_of('diagnosticConfirmation') == set('123456789'), 'dx confirmation 1-9')
    check(codes_of('typeOfReportingSource') == set('12345678'), 'reporting source 1-8')
    check(codes_of('maritalStatusAtDx') == set('1234569'), 'marital status 1-6, 9')
    check(codes_of('spanishHispanicOrigin') == set('0123456789'), 'Spanish/Hispanic 0-9')
    seqc = {'%02d' % n for n in range(0, 89)} | {'98', '99'}
    check(codes_of('sequenceNumberCentral') == seqc, 'seq central 00-59, 60-88, 98, 99')
    check(codes_of('sequenceNumberHospital') == seqc - {'98'}, 'seq hospital 00-59, 60-88, 99')
    check(codes_of('ageAtDiagnosis') == {'%03d' % n for n in range(121)} | {'999'},
          'age 000-120, 999')
    race = {'01', '02', '03', '04', '05', '06', '07', '08', '10', '11', '12', '13', '14', '15',
            '16', '17', '20', '21', '22', '25', '26', '27', '28', '30', '31', '32', '96', '97',
            '98', '99'}
    check(all(codes_of('race%d' % n) == race | {'88'} for n in (2, 3, 4, 5)),
          'race2-5: the 30 race codes + 88')
    check(codes_of('race1') == race, 'race1: the 30 race codes, no 88')
    check(codes_of('classOfCase') == {'00', '10', '11', '12', '13', '14', '20', '21', '22', '30',
                                      '31', '32', '33', '34', '35', '36', '37', '38', '40', '41',
                                      '42', '43', '49', '99'}, 'class of case')
    grade = set('12345') | {'8', '9'} | set('ABCDE') | {'H', 'L', 'M', 'S'}
    check(all(codes_of(i) == grade for i in ('gradeClinical', 'gradePathological',
                                             'gradePostTherapyClin', 'gradePostTherapy')),
          'grade 2018 items: 1-5, 8, 9, A-E, H, L, M, S')
    check(codes_of('grade') == set('123456789'), 'grade [440] 1-9')
    st = codes_of('addrAtDxState')
    check({'PA', 'CA', 'DC', 'PR', 'GU', 'VI', 'AS', 'MP', 'ON', 'QC', 'AA', 'AE', 'AP', 'CD', 'US',
           'XX', 'YY', 'ZZ'} <= st and not (st & STATE_DROP) and len(st) == 50 + 1 + 5 + 3 + 4
          + 13 + 5, 'state: 50 + DC + 5 territories + 3 FAS + AA/AE/AP + UM + 13 CA + 5 special')
    ctry = codes_of('addrAtDxCountry')
    check(len(iso_countries()) == 249 and len({c for c, _ in iso_countries()}) == 249,
          'ISO 3166-1: 249 distinct alpha-3 codes')
    check({'USA', 'CAN', 'MEX', 'TWN', 'ZZU', 'ZZX', 'XCB', 'YUG', 'CSK'} <= ctry
          and 'SCB' not in ctry and 'ZCB' not in ctry and len(ctry) == 249 + 35,
          'country: ISO + 35 NAACCR codes (page typos SCB/ZCB not taken)')
    check(all(re.fullmatch(r'[A-Z]{3}', c) for c in ctry), 'country codes are 3 letters')
    check(codes_of('primarySite') == topo, 'primarySite -> icdo3_topography')
    check('1C2' in codes_of('figoStage') and 'IC2' not in codes_of('figoStage'), 'FIGO 1C2 patch')
    check(codes_of('overRideSiteType') == {'1'} and codes_of('overRideHistology') == set('123'),
          'over-ride flags')

    # every index row names an existing table and a v26 item
    for item, table in info['table_of'].items():
        check(item in src.dictionary, 'index item %s is a v26 item' % item)
        check(table + '.csv' in files, 'index table %s exists' % table)
    check(set(info['table_of']) & set(info['excluded']) == set(), 'excluded items unindexed')

    # paired / midline site lists restate D8 of standard-edits-logic.md exactly
    md = open(os.path.join(src.et, 'standard-edits-logic.md'), encoding='utf-8').read()
    d8 = md[md.index('### D8.'):md.index('### D9.')]
    d8 = d8[d8.index('Paired sites need'):d8.index('- Pass:')]
    text_tokens = set(re.findall(r'C\d{3}(?:-C\d{3})?', d8))
    ours = {lo if lo == hi else lo + '-' + hi for lo, hi, _, _ in PAIRED_SITES + MIDLINE_SITES}
    check(text_tokens == ours, 'paired/midline sites = the sites named in D8 (%s)'
          % sorted(text_tokens ^ ours))
    check(all(lo in topo and hi in topo for lo, hi, _, _ in PAIRED_SITES + MIDLINE_SITES),
          'paired/midline endpoints are topography codes')

    # informational: agreement with the 2015 SEER list expanded to pairs (an older release)
    pairs = read_csv(os.path.join(src.et, 'seer-site-type',
                                  'seer_valid_icdo3_site_histology_combinations.d20150918.csv'))
    by_morph = {}
    for lo, hi, h, b in sst:
        by_morph.setdefault((h, b), []).append((lo, hi))
    kept = sum(1 for p in pairs if any(
        lo <= p['site'].replace('.', '') <= hi
        for lo, hi in by_morph.get(tuple(p['histology'].split('/')), ())))
    print('info: %d of the %d (site, morphology) pairs of the 2015-09-18 SEER list are '
          'accepted by seer_site_type (2018-03-23 list)' % (kept, len(pairs)))
    check(kept > 0.9 * len(pairs), 'most 2015 pairs still accepted by the 2018 list')

    for f in fails:
        print('CHECK FAILED: ' + f, file=sys.stderr)
    return not fails


def compare_with_werth(src, info):
    """Where the WerthPADOH/naaccr list named like an item disagrees with our (v26) table."""
    names = {f[:-4] for f in os.listdir(src.werth_dir) if f.endswith('.csv')}
    # shared Werth lists, as mapped by WerthPADOH/naaccr data-raw/field_code_scheme.csv
    aliases = {'race1': 'race', 'race2': 'race', 'raceNapiia': 'race',
               'behaviorCodeIcdO3': 'behavior', 'derivedSummaryGrade2018': 'summaryGrade2018',
               'addrAtDxState': 'state', 'seerSummaryStage2000': 'seer_summary_stage',
               'summaryStage2018': 'seer_summary_stage_2018',
               'nhiaDerivedHispOrigin': 'spanishHispanicOrigin',
               'tnmClinStagedBy': 'tnm_staged_by', 'rxSummChemo': 'rx_summary_chemo',
               'tumorMarker1': 'tumor_marker', 'pathReportType1': 'path_report_type',
               'phase1RadiationTreatmentModality': 'radiation_modality',
               'phase1RadiationPrimaryTxVolume': 'radiation_primary_volume',
               'ruca2010': 'ruca', 'uric2010': 'uric',
               'ruralurbanContinuum2013': 'rural_urban_continuum',
               'survFlagActiveFollowup': 'survival_flag',
               'censusTrCertainty2000': 'census_tract_certainty'}
    print('item / WerthPADOH list: codes only on the v26 page | codes only in the Werth list')
    for item, table in sorted(info['table_of'].items()):
        werth = aliases.get(item, item)
        if werth not in names or table == 'icdo3_topography':
            continue
        ours = {c for c, _ in info['tables'][table]}
        theirs = {c for c, _ in src.werth(werth) if c.strip()}
        if ours != theirs:
            print('%s / %s: %s | %s' % (item, werth, ' '.join(sorted(ours - theirs)),
                                        ' '.join(sorted(theirs - ours))))


def main(argv):
    args = [a for a in argv if not a.startswith('--')]
    shared = args[0] if args else os.path.join(HERE, '..', '..', '..', 'shared')
    src = Sources(os.path.normpath(shared))
    files, info = all_tables(src)
    ok = True
    if '--check' in argv:
        for name, text in files.items():
            path = os.path.join(HERE, name)
            if not os.path.exists(path):
                print('MISSING: ' + name, file=sys.stderr)
                ok = False
                continue
            with open(path, encoding='utf-8', newline='') as f:
                if f.read() != text:
                    print('DIFFERS from regenerated output: ' + name, file=sys.stderr)
                    ok = False
        # The Schema ID tables are kept by hand (check_schema_tables.py checks them).
        stale = {n for n in os.listdir(HERE) if n.endswith('.csv')} - set(files) - HAND_KEPT
        for name in sorted(stale):
            print('NOT GENERATED (stale?): ' + name, file=sys.stderr)
            ok = False
    else:
        for name, text in files.items():
            with open(os.path.join(HERE, name), 'w', encoding='utf-8', newline='') as f:
                f.write(text)
    readme_path = os.path.join(HERE, 'README.md')
    if os.path.exists(readme_path):
        with open(readme_path, encoding='utf-8', newline='') as f:
            readme = f.read()
        if README_BEGIN in readme:
            new = with_readme_block(readme, info)
            if '--check' in argv:
                if new != readme:
                    print('DIFFERS from regenerated output: README.md table list', file=sys.stderr)
                    ok = False
            elif new != readme:
                with open(readme_path, 'w', encoding='utf-8', newline='') as f:
                    f.write(new)
    for name, text in files.items():
        print('%-48s %7d rows' % (name, text.count('\n') - 1))
    print('%d tables, %d items indexed, %d coded items left out' % (
        len(files), len(info['table_of']), len(info['excluded'])))
    if '--compare' in argv:
        compare_with_werth(src, info)
    if '--excluded' in argv:
        for item, reason in sorted(info['excluded'].items()):
            print('%-34s %s' % (item, reason))
    ok = self_check(src, files, info) and ok
    print('self-check: ' + ('OK' if ok else 'FAILED'))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
