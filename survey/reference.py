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

GENDER = {"F": "Female", "M": "Male", "O": "Another way"}
SEN = {"N": "No special educational needs", "K": "SEN support", "E": "Education, health and care plan"}
SEN_WORDS = {"none": "N", "no": "N", "sen support": "K", "support": "K", "ehcp": "E", "ehc plan": "E"}
YES = {"y", "yes", "true", "1"}
NO = {"n", "no", "false", "0"}
