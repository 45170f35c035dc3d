"""Facebook's caption locales, and which one a language tag (BCP 47) goes out as.

Facebook names languages ``ll_CC`` (a two-letter language code and a country code, with the
umbrella exceptions ``ar_AR`` and ``es_LA``: developers.facebook.com/docs/javascript/internationalization).
A caption file is named ``name.LOCALE.srt`` (``POST /{video-id}/captions``, Graph API reference
"Video Captions"); a file whose name carries no known locale is refused with error 385. The list is
Facebook's FacebookLocales.xml (www.facebook.com/translations/FacebookLocales.xml, as mirrored in
2019): Réunion Creole, Shimaore, the Antillean and Guianese creoles, Tahitian and the Kanak
languages are not in it.
"""

from __future__ import annotations

CAPTION_LOCALES: tuple[str, ...] = (
    "af_ZA", "am_ET", "ar_AR", "as_IN", "az_AZ", "be_BY", "bg_BG", "bn_IN", "br_FR", "bs_BA", "ca_ES",
    "cb_IQ", "co_FR", "cs_CZ", "cx_PH", "cy_GB", "da_DK", "de_DE", "el_GR", "en_GB", "en_US", "eo_EO",
    "es_ES", "es_LA", "et_EE", "eu_ES", "fa_IR", "ff_NG", "fi_FI", "fo_FO", "fr_CA", "fr_FR", "fy_NL",
    "ga_IE", "gl_ES", "gn_PY", "gu_IN", "ha_NG", "he_IL", "hi_IN", "hr_HR", "ht_HT", "hu_HU", "hy_AM",
    "id_ID", "is_IS", "it_IT", "ja_JP", "jv_ID", "ka_GE", "kk_KZ", "km_KH", "kn_IN", "ko_KR", "ku_TR",
    "ky_KG", "lo_LA", "lt_LT", "lv_LV", "mg_MG", "mk_MK", "ml_IN", "mn_MN", "mr_IN", "ms_MY", "mt_MT",
    "my_MM", "nb_NO", "ne_NP", "nl_BE", "nl_NL", "nn_NO", "or_IN", "pa_IN", "pl_PL", "ps_AF", "pt_BR",
    "pt_PT", "ro_RO", "ru_RU", "rw_RW", "sc_IT", "si_LK", "sk_SK", "sl_SI", "sn_ZW", "so_SO", "sq_AL",
    "sr_RS", "sv_SE", "sw_KE", "sy_SY", "sz_PL", "ta_IN", "te_IN", "tg_TJ", "th_TH", "tl_PH", "tr_TR",
    "tt_RU", "tz_MA", "uk_UA", "ur_PK", "uz_UZ", "vi_VN", "zh_CN", "zh_HK", "zh_TW",
)  # fmt: skip


def caption_locale(tag: str) -> str | None:
    """The Facebook locale of a BCP 47 tag in the same language, or None when Facebook has none.

    The tag's own region when Facebook has it (``fr-CA`` → ``fr_CA``), else the language's most
    likely region (``fr`` → ``fr_FR``), else Facebook's only or umbrella locale of that language
    (``ar`` → ``ar_AR``, ``sw`` → ``sw_KE``).
    """
    import langcodes

    try:
        language = langcodes.Language.get(tag)
    except (ValueError, LookupError):
        return None
    same = [locale for locale in CAPTION_LOCALES if locale.split("_")[0] == language.language]
    if not same:
        return None
    for region in (language.territory, language.maximize().territory):
        if region and f"{language.language}_{region}" in same:
            return f"{language.language}_{region}"
    return same[0]
