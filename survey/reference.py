"""Reference codes used in rosters and exports (DfE school census codes)."""

from __future__ import annotations

ETHNICITY_MAJOR = {
    "WHIT": "White",
    "MIXD": "Mixed or multiple ethnic groups",
    "ASIA": "Asian or Asian British",
    "BLAC": "Black, Black British, Caribbean or African",
    "CHIN": "Chinese",
    "AOEG": "Any other ethnic group",
    "REFU": "Refused",
    "NOBT": "Information not yet obtained",
}

# Minor code -> its major group.
ETHNICITY_MINOR = {
    "WBRI": "WHIT", "WIRI": "WHIT", "WIRT": "WHIT", "WROM": "WHIT", "WOTH": "WHIT",
    "MWBC": "MIXD", "MWBA": "MIXD", "MWAS": "MIXD", "MOTH": "MIXD",
    "AIND": "ASIA", "APKN": "ASIA", "ABAN": "ASIA", "AOTH": "ASIA",
    "BCRB": "BLAC", "BAFR": "BLAC", "BOTH": "BLAC",
    "CHNE": "CHIN",
    "OOTH": "AOEG",
    "REFU": "REFU", "NOBT": "NOBT",
}  # fmt: skip

ETHNICITY_MINOR_NAMES = {
    "WBRI": "White – British", "WIRI": "White – Irish", "WIRT": "Traveller of Irish heritage",
    "WROM": "Gypsy or Roma", "WOTH": "Any other White background",
    "MWBC": "White and Black Caribbean", "MWBA": "White and Black African", "MWAS": "White and Asian",
    "MOTH": "Any other mixed background", "AIND": "Indian", "APKN": "Pakistani", "ABAN": "Bangladeshi",
    "AOTH": "Any other Asian background", "BCRB": "Black Caribbean", "BAFR": "Black African",
    "BOTH": "Any other Black background", "CHNE": "Chinese", "OOTH": "Any other ethnic group",
    "REFU": "Refused", "NOBT": "Information not yet obtained",
}  # fmt: skip
# How the roster preview names each SEN code, with Wales's additional learning needs (ALN) beside it.
SEN_READ_AS = {
    "N": "No special educational needs or ALN",
    "K": "SEN support, or ALN with a school-maintained IDP",
    "E": "EHC plan, or an IDP maintained by the local authority",
}

GENDER = {"F": "Female", "M": "Male", "O": "Another way"}
SEN = {"N": "No special educational needs", "K": "SEN support", "E": "Education, health and care plan"}
YES = {"y", "yes", "true", "1"}
NO = {"n", "no", "false", "0"}

# -- how management information systems (SIMS, Arbor, Bromcom, ScholarPack, Wales's PLASC) spell
# the same things. Keys are lowercased with punctuation turned into single spaces (`mis_words`).

SEN_WORDS = {
    **dict.fromkeys(
        ["none", "no", "n", "no sen", "not sen", "no special educational needs",
         "no special educational need", "no aln", "no additional learning needs"],
        "N",
    ),
    **dict.fromkeys(
        ["sen support", "support", "k", "school action", "school action plus", "a", "p",
         # Wales (ALN Act 2018): additional learning needs met through a school-maintained IDP.
         "aln", "additional learning needs", "idp", "school idp", "idp school", "school maintained idp",
         "idp maintained by the school", "idp maintained by school"],
        "K",
    ),
    **dict.fromkeys(
        ["ehcp", "ehc plan", "e", "education health and care plan", "statement", "s", "statement of sen",
         "statement of special educational needs",
         # Wales: an IDP maintained by the local authority is the statutory plan, as an EHCP is.
         "la idp", "idp la", "la maintained idp", "local authority maintained idp",
         "idp maintained by the local authority", "idp maintained by the la"],
        "E",
    ),
}  # fmt: skip

GENDER_WORDS = {
    **dict.fromkeys(["f", "female", "girl", "woman"], "F"),
    **dict.fromkeys(["m", "male", "boy", "man"], "M"),
    **dict.fromkeys(["o", "other", "another way", "non binary", "nonbinary"], "O"),
    **dict.fromkeys(["u", "unknown", "not known", "not stated", "prefer not to say"], ""),
}

FLAG_WORDS = {
    **dict.fromkeys(["y", "yes", "true", "1", "t", "eligible", "fsm eligible", "in care"], True),
    **dict.fromkeys(["n", "no", "false", "0", "f", "not eligible", "ineligible", "not in care"], False),
}

# English as an additional language, from a "first language" column (DfE first language codes too).
ENGLISH_WORDS = {"english", "eng", "enb", "believed to be english", "english believed to be"}
OTHER_LANGUAGE_WORDS = {"oth", "otb", "other than english", "believed to be other than english"}
NOT_KNOWN_WORDS = {"unclassified", "not known", "unknown", "refused", "information not obtained"}

ETHNICITY_WORDS = {
    "WBRI": ["white british", "british", "white english", "white welsh", "white scottish",
             "white northern irish", "english", "welsh", "scottish"],
    "WIRI": ["white irish", "irish"],
    "WIRT": ["traveller of irish heritage", "irish traveller", "white traveller of irish heritage"],
    "WROM": ["gypsy roma", "gypsy", "roma", "white gypsy roma", "gypsy or roma"],
    "WOTH": ["any other white background", "other white", "white other", "any other white",
             "other white background"],
    "MWBC": ["white and black caribbean"],
    "MWBA": ["white and black african"],
    "MWAS": ["white and asian"],
    "MOTH": ["any other mixed background", "other mixed", "mixed other", "any other mixed",
             "other mixed background"],
    "AIND": ["indian", "asian indian"],
    "APKN": ["pakistani", "asian pakistani"],
    "ABAN": ["bangladeshi", "asian bangladeshi"],
    "AOTH": ["any other asian background", "other asian", "asian other", "any other asian",
             "other asian background"],
    "BCRB": ["caribbean", "black caribbean"],
    "BAFR": ["african", "black african"],
    "BOTH": ["any other black background", "other black", "black other", "any other black",
             "other black background"],
    "CHNE": ["chinese"],
    "OOTH": ["any other ethnic group", "other ethnic group", "other", "any other"],
    "REFU": ["refused", "prefer not to say", "information refused"],
    "NOBT": ["information not yet obtained", "not obtained", "not yet obtained", "not known", "unknown"],
}  # fmt: skip
# Group names that MIS descriptions put before the minor group ("Asian or Asian British - Indian").
ETHNICITY_PREFIXES = (
    "mixed multiple ethnic groups", "mixed dual background", "mixed", "white",
    "asian or asian british", "asian asian british", "asian british", "asian",
    "black or black british", "black african caribbean or black british",
    "black black british caribbean or african", "black british", "black",
)  # fmt: skip
ETHNICITY_MAJOR_WORDS = {
    "white": "WHIT", "mixed": "MIXD", "mixed or multiple ethnic groups": "MIXD", "asian": "ASIA",
    "asian or asian british": "ASIA", "black": "BLAC", "black or black british": "BLAC",
    "black black british caribbean or african": "BLAC",
}  # fmt: skip
