"""Language codes: the one a user writes (ISO 639-1 `sw`, ISO 639-3 `swa`/`swh`, FLORES-200 `swh_Latn`,
`zh-Hant`) matched to the one an MT model knows (NLLB's `swh_Latn`, M2M100's `__sw__`, mBART-50's `sw_KE`,
MADLAD's `<2sw>`), and the script a language is written in (the output checks' "wrong script").

A code is read as (ISO 639-3 language, optional script). Two languages match when their ISO 639-3 codes are
equal or one is the macrolanguage of the other (Arabic `ara` and Standard Arabic `arb`, Swahili `swa` and
`swh`, Persian `fas` and `pes`, ...), and their scripts are equal where both say one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# ISO 639-1 → the FLORES-200 code NLLB uses for it (the individual language a macrolanguage means in practice).
FLORES = {
    "af": "afr_Latn",
    "ak": "aka_Latn",
    "am": "amh_Ethi",
    "ar": "arb_Arab",
    "as": "asm_Beng",
    "ay": "ayr_Latn",
    "az": "azj_Latn",
    "ba": "bak_Cyrl",
    "be": "bel_Cyrl",
    "bg": "bul_Cyrl",
    "bm": "bam_Latn",
    "bn": "ben_Beng",
    "bo": "bod_Tibt",
    "bs": "bos_Latn",
    "ca": "cat_Latn",
    "cs": "ces_Latn",
    "cy": "cym_Latn",
    "da": "dan_Latn",
    "de": "deu_Latn",
    "dz": "dzo_Tibt",
    "ee": "ewe_Latn",
    "el": "ell_Grek",
    "en": "eng_Latn",
    "eo": "epo_Latn",
    "es": "spa_Latn",
    "et": "est_Latn",
    "eu": "eus_Latn",
    "fa": "pes_Arab",
    "ff": "fuv_Latn",
    "fi": "fin_Latn",
    "fj": "fij_Latn",
    "fo": "fao_Latn",
    "fr": "fra_Latn",
    "ga": "gle_Latn",
    "gd": "gla_Latn",
    "gl": "glg_Latn",
    "gn": "grn_Latn",
    "gu": "guj_Gujr",
    "ha": "hau_Latn",
    "he": "heb_Hebr",
    "hi": "hin_Deva",
    "hr": "hrv_Latn",
    "ht": "hat_Latn",
    "hu": "hun_Latn",
    "hy": "hye_Armn",
    "id": "ind_Latn",
    "ig": "ibo_Latn",
    "is": "isl_Latn",
    "it": "ita_Latn",
    "ja": "jpn_Jpan",
    "jv": "jav_Latn",
    "ka": "kat_Geor",
    "kg": "kon_Latn",
    "ki": "kik_Latn",
    "kk": "kaz_Cyrl",
    "km": "khm_Khmr",
    "kn": "kan_Knda",
    "ko": "kor_Hang",
    "ks": "kas_Arab",
    "ku": "kmr_Latn",
    "ky": "kir_Cyrl",
    "lb": "ltz_Latn",
    "lg": "lug_Latn",
    "li": "lim_Latn",
    "ln": "lin_Latn",
    "lo": "lao_Laoo",
    "lt": "lit_Latn",
    "lv": "lvs_Latn",
    "mg": "plt_Latn",
    "mi": "mri_Latn",
    "mk": "mkd_Cyrl",
    "ml": "mal_Mlym",
    "mn": "khk_Cyrl",
    "mr": "mar_Deva",
    "ms": "zsm_Latn",
    "mt": "mlt_Latn",
    "my": "mya_Mymr",
    "nb": "nob_Latn",
    "ne": "npi_Deva",
    "nl": "nld_Latn",
    "nn": "nno_Latn",
    "no": "nob_Latn",
    "ny": "nya_Latn",
    "oc": "oci_Latn",
    "om": "gaz_Latn",
    "or": "ory_Orya",
    "pa": "pan_Guru",
    "pl": "pol_Latn",
    "ps": "pbt_Arab",
    "pt": "por_Latn",
    "qu": "quy_Latn",
    "rn": "run_Latn",
    "ro": "ron_Latn",
    "ru": "rus_Cyrl",
    "rw": "kin_Latn",
    "sa": "san_Deva",
    "sc": "srd_Latn",
    "sd": "snd_Arab",
    "sg": "sag_Latn",
    "si": "sin_Sinh",
    "sk": "slk_Latn",
    "sl": "slv_Latn",
    "sm": "smo_Latn",
    "sn": "sna_Latn",
    "so": "som_Latn",
    "sq": "als_Latn",
    "sr": "srp_Cyrl",
    "ss": "ssw_Latn",
    "st": "sot_Latn",
    "su": "sun_Latn",
    "sv": "swe_Latn",
    "sw": "swh_Latn",
    "ta": "tam_Taml",
    "te": "tel_Telu",
    "tg": "tgk_Cyrl",
    "th": "tha_Thai",
    "ti": "tir_Ethi",
    "tk": "tuk_Latn",
    "tl": "tgl_Latn",
    "tn": "tsn_Latn",
    "tr": "tur_Latn",
    "ts": "tso_Latn",
    "tt": "tat_Cyrl",
    "tw": "twi_Latn",
    "ug": "uig_Arab",
    "uk": "ukr_Cyrl",
    "ur": "urd_Arab",
    "uz": "uzn_Latn",
    "vi": "vie_Latn",
    "wo": "wol_Latn",
    "xh": "xho_Latn",
    "yi": "ydd_Hebr",
    "yo": "yor_Latn",
    "zh": "zho_Hans",
    "zu": "zul_Latn",
}
# ISO 639-1 codes whose ISO 639-3 code differs from the FLORES one above (a macrolanguage's own code).
MACRO = {
    "ar": "ara",
    "az": "aze",
    "et": "est",
    "fa": "fas",
    "ff": "ful",
    "gn": "grn",
    "kg": "kon",
    "ku": "kur",
    "lv": "lav",
    "mg": "mlg",
    "mn": "mon",
    "ms": "msa",
    "ne": "nep",
    "no": "nor",
    "om": "orm",
    "or": "ori",
    "ps": "pus",
    "qu": "que",
    "sq": "sqi",
    "sw": "swa",
    "uz": "uzb",
    "yi": "yid",
    "zh": "zho",
    "tl": "fil",
}
# ISO 639-2/B codes people still write.
BIBLIOGRAPHIC = {
    "ger": "deu",
    "fre": "fra",
    "chi": "zho",
    "per": "fas",
    "dut": "nld",
    "gre": "ell",
    "cze": "ces",
    "arm": "hye",
    "geo": "kat",
    "rum": "ron",
    "slo": "slk",
    "wel": "cym",
    "baq": "eus",
    "ice": "isl",
    "alb": "sqi",
    "mac": "mkd",
    "may": "msa",
    "bur": "mya",
    "tib": "bod",
}
# Each ISO 639-3 code → the codes it is interchangeable with (a macrolanguage and its main individual language).
_SAME: dict[str, set[str]] = {}
for _iso1, _macro in MACRO.items():
    _group = {_macro, FLORES[_iso1][:3]}
    for _code in _group:
        _SAME.setdefault(_code, set()).update(_group)
ISO3_OF_ISO1 = {iso1: flores[:3] for iso1, flores in FLORES.items()}
ISO1_OF_ISO3 = {flores[:3]: iso1 for iso1, flores in FLORES.items()} | {
    macro: iso1 for iso1, macro in MACRO.items()
}
DEFAULT_SCRIPT = {flores[:3]: flores[4:] for flores in FLORES.values()} | {
    MACRO[iso1]: FLORES[iso1][4:] for iso1 in MACRO
}
_CODE = re.compile(r"^([A-Za-z]{2,3})(?:[_-]([A-Za-z]{4}|[A-Za-z]{2}|\d{3}))?$")


@dataclass(frozen=True)
class Language:
    """A language as ISO 639-3 plus, when known, its ISO 15924 script."""

    iso3: str
    script: str | None = None

    @property
    def written_in(self) -> str | None:
        """Its script: the one the code says, else the language's usual one (None when unknown)."""
        return self.script or DEFAULT_SCRIPT.get(self.iso3)

    def same_language(self, other: Language) -> bool:
        return other.iso3 == self.iso3 or other.iso3 in _SAME.get(self.iso3, ())

    def matches(self, other: Language) -> bool:
        scripts = self.written_in, other.written_in
        return self.same_language(other) and (None in scripts or scripts[0] == scripts[1])


def parse_code(code: str) -> Language | None:
    """`sw`, `swa`, `swh_Latn`, `zh-Hant`, `de_DE` (a region is ignored) → a Language; None if unreadable."""
    found = _CODE.match(code.strip())
    if not found:
        return None
    base, tail = found.group(1).lower(), found.group(2)
    script = tail.title() if tail and len(tail) == 4 else None
    if len(base) == 2:
        if base not in ISO3_OF_ISO1:
            return None
        return Language(ISO3_OF_ISO1[base], script)
    return Language(BIBLIOGRAPHIC.get(base, base), script)


def model_code_language(code: str) -> Language | None:
    """What a model's own language code means: `swh_Latn`, `__sw__`, `sw_KE`, `<2sw>`."""
    for pattern in (r"^__([a-z]{2,3})__$", r"^<2([A-Za-z_-]+)>$"):
        found = re.match(pattern, code)
        if found:
            return parse_code(found.group(1))
    return parse_code(code)


def match_code(user_code: str, inventory: list[str], model: str, option: str) -> str:
    """The model's code for the language `user_code` names, refused in one line when it has none or several."""
    from alsace_cli.errors import AlsaceError

    wanted = parse_code(user_code)
    if wanted is None:
        raise AlsaceError(
            f"{option}: {user_code!r} is not a language code (write ISO 639-1 `de`, ISO 639-3 `deu` "
            "or FLORES-200 `deu_Latn`)"
        )
    known = [(code, model_code_language(code)) for code in inventory]
    found = [code for code, language in known if language is not None and wanted.matches(language)]
    if len(found) > 1:  # the same language under its macrolanguage code and its own: prefer the exact one
        exact = [code for code in found if model_code_language(code).iso3 == wanted.iso3]  # type: ignore[union-attr]
        found = exact or found
    if len(found) == 1:
        return found[0]
    if found:
        raise AlsaceError(
            f"{option}: {user_code!r} is ambiguous for {model}: {', '.join(found)}; write one of them"
        )
    shown = ", ".join(inventory[:12]) + (f", ... ({len(inventory)} in all)" if len(inventory) > 12 else "")
    raise AlsaceError(f"{option}: {model} has no language {user_code!r} (it has {shown})")


def language_of(code: str) -> Language | None:
    """The Language of a user's or a model's code (the output checks use its script)."""
    return parse_code(code) or model_code_language(code)
