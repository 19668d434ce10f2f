"""Classification with reasons, in English, French and German."""

import tomllib
from pathlib import Path

import pytest

from tracker import lang
from tracker.classify import classify
from tracker.lang import available, load


def verdict(lang: str, old: str, new: str):
    return classify(old, new, load(lang))


def codes(lang: str, old: str, new: str) -> set[str]:
    return {r.code for r in verdict(lang, old, new).reasons}


def test_removed_exclusivity_is_weakened_and_quotes_the_word():
    result = verdict(
        "en",
        "We use your location only to show nearby shops.",
        "We use your location to show nearby shops.",
    )
    assert result.type == "weakened"
    assert result.reasons[0].code == "exclusivity-removed"
    assert "'only'" in result.reasons[0].detail


@pytest.mark.parametrize(
    ("lang", "old", "new", "code"),
    [
        (
            "fr",
            "Nous n'utilisons votre numéro que pour vous joindre.",
            "Nous utilisons votre numéro pour vous joindre.",
            "exclusivity-removed",
        ),
        (
            "fr",
            "Vos photos sont stockées uniquement sur votre téléphone.",
            "Vos photos sont stockées sur votre téléphone.",
            "exclusivity-removed",
        ),
        (
            "de",
            "Wir nutzen Ihre Adresse ausschließlich für den Versand.",
            "Wir nutzen Ihre Adresse für den Versand.",
            "exclusivity-removed",
        ),
        (
            "en",
            "We never read your private notes.",
            "We do not usually read your private notes.",
            "absolute-removed",
        ),
        (
            "fr",
            "Nous ne revendons jamais vos données.",
            "Nous ne revendons pas vos données.",
            "absolute-removed",
        ),
        (
            "de",
            "Wir geben Ihre Daten niemals an Werbepartner weiter.",
            "Wir geben Ihre Daten nicht an Werbepartner weiter.",
            "absolute-removed",
        ),
        (
            "en",
            "Support agents cannot open your files.",
            "Support agents can open your files.",
            "negation-removed",
        ),
        (
            "en",
            "We will pseudonymise your answers before storing them.",
            "We might pseudonymise your answers before storing them.",
            "modality-softened",
        ),
        (
            "fr",
            "Nous nous engageons à chiffrer vos sauvegardes.",
            "Nous pouvons chiffrer vos sauvegardes.",
            "modality-softened",
        ),
        (
            "en",
            "We do not pass your contacts to other companies.",
            "We do not pass your contacts to other companies, except our subsidiaries.",
            "exception-added",
        ),
        (
            "de",
            "Wir übermitteln Ihre Daten nicht in Drittländer.",
            "Wir übermitteln Ihre Daten nicht in Drittländer, außer an unsere Dienstleister.",
            "exception-added",
        ),
        (
            "fr",
            "Nous ne communiquons pas votre dossier à votre employeur.",
            "Nous ne communiquons pas votre dossier à votre employeur, à moins qu'il le demande.",
            "exception-added",
        ),
        (
            "en",
            "You can export your playlists at any time.",
            "You can export your playlists once a month.",
            "time-right-dropped",
        ),
        (
            "fr",
            "Vous pouvez retirer votre accord à tout moment.",
            "Vous pouvez retirer votre accord par courrier.",
            "time-right-dropped",
        ),
        (
            "de",
            "Sie können der Nutzung jederzeit widersprechen.",
            "Sie können der Nutzung widersprechen.",
            "time-right-dropped",
        ),
        (
            "en",
            "Voice clips are erased after 14 days.",
            "Voice clips are erased after 6 months.",
            "retention-lengthened",
        ),
        (
            "fr",
            "Nous supprimons les journaux au bout de 6 mois.",
            "Nous supprimons les journaux lorsqu'ils ne sont plus nécessaires.",
            "retention-made-vague",
        ),
        (
            "de",
            "Wir bewahren Rechnungen zehn Jahre auf.",
            "Wir bewahren Rechnungen so lange wie erforderlich auf.",
            "retention-made-vague",
        ),
        (
            "en",
            "We share your delivery address with the courier.",
            "We share your delivery address with the courier and our advertising partners.",
            "recipients-added",
        ),
        (
            "en",
            "We analyse your steps to draw your weekly chart.",
            "We analyse your steps to draw your weekly chart and to improve our products.",
            "purposes-added",
        ),
        (
            "en",
            "We will enrol you in the beta only if you ask to join.",
            "We will enrol you in the beta unless you ask us not to.",
            "exception-added",
        ),
        (
            "en",
            "We process your voice only with your consent.",
            "We process your voice on the basis of our legitimate interests unless you object.",
            "consent-to-opt-out",
        ),
        (
            "en",
            "We do not give your data to insurance companies.",
            "We do not give your blood test results to insurance companies.",
            "prohibition-narrowed",
        ),
        (
            "en",
            "You can download and delete your history at any time.",
            "You can look at your history at any time.",
            "right-dropped",
        ),
        (
            "de",
            "Sie können Ihr Profil jederzeit löschen.",
            "Sie können Ihr Profil pausieren.",
            "time-right-dropped",
        ),
        (
            "en",
            "Logs are kept in pseudonymised and encrypted form.",
            "Logs are kept in pseudonymised or encrypted form.",
            "conjunction-loosened",
        ),
        (
            "en",
            "We share anonymous usage figures with our investors.",
            "We sell anonymous usage figures to our investors.",
            "practice-escalated",
        ),
        (
            "en",
            "Contractors must delete copies when the job ends.",
            "Contractors should delete copies when the job ends.",
            "modality-softened",
        ),
        (
            "en",
            "Your employer will be told in advance when we hand over your records.",
            "Your employer will be told when we hand over your records.",
            "notice-dropped",
        ),
        (
            "fr",
            "Nous vous prévenons à l'avance avant toute fusion de comptes.",
            "Nous vous prévenons de toute fusion de comptes.",
            "notice-dropped",
        ),
        (  # gated by consent alone, with no "only" or "not": this crashed the engine once
            "en",
            "We share your email address with partners once you agree.",
            "We share your email address with partners.",
            "consent-gate-removed",
        ),
    ],
)
def test_weakening_is_detected_with_its_reason(lang, old, new, code):
    result = verdict(lang, old, new)
    assert result.type == "weakened"
    assert code in {r.code for r in result.reasons}


@pytest.mark.parametrize(
    ("lang", "old", "new", "code"),
    [
        (
            "en",
            "We may pass your data to advertisers.",
            "We do not pass your data to advertisers.",
            "negation-added",
        ),
        (
            "fr",
            "Nous pouvons transmettre vos données à des courtiers.",
            "Nous ne transmettons jamais vos données à des courtiers.",
            "absolute-added",
        ),
        (
            "de",
            "Ihre Daten können an Partner übermittelt werden.",
            "Ihre Daten werden nicht an Partner übermittelt.",
            "negation-added",
        ),
        (
            "en",
            "We use your data for billing and for marketing.",
            "We use your data only for billing.",
            "exclusivity-added",
        ),
        (
            "en",
            "Backups are kept for 3 years.",
            "Backups are kept for 90 days.",
            "retention-shortened",
        ),
        (
            "en",
            "We keep your drafts indefinitely.",
            "We delete your drafts after 60 days.",
            "retention-limited",
        ),
        (
            "en",
            "You can ask us to delete your account.",
            "You can delete your account yourself at any time.",
            "time-right-added",
        ),
        (
            "en",
            "We may change how we use your data at any time.",
            "We may change how we use your data.",
            "time-latitude-removed",
        ),
        (
            "en",
            "We will tell you about a breach affecting your data.",
            "We will tell you about a breach affecting your data without undue delay.",
            "notice-added",
        ),
        (
            "en",
            "We collect your name, email address and phone number.",
            "We collect your name and email address.",
            "scope-narrowed",
        ),
        (
            "fr",
            "Nous partageons votre profil avec nos partenaires, sauf si vous vous y opposez.",
            "Nous partageons votre profil avec nos partenaires uniquement avec votre accord.",
            "exclusivity-added",
        ),
        (
            "en",
            "We share your email address with partners.",
            "We share your email address with partners once you agree.",
            "consent-gate-added",
        ),
    ],
)
def test_strengthening_is_detected_with_its_reason(lang, old, new, code):
    result = verdict(lang, old, new)
    assert result.type == "strengthened"
    assert code in {r.code for r in result.reasons}


@pytest.mark.parametrize(
    ("lang", "old", "new"),
    [
        (
            "en",
            "We only send reminders with your consent.",
            "We do not send reminders without your consent.",
        ),
        ("en", "We never sell your data.", "Your data is never sold."),
        ("en", "We keep invoices for two years.", "Invoices are kept for 24 months."),
        (
            "en",
            "We may use your IP address to guess your region.",
            "Your IP address might be used to guess which region you are in.",
        ),
        (
            "en",
            "You can close your account at any time in the app.",
            "Your account can be closed whenever you like in the app.",
        ),
        (
            "fr",
            "Nous ne déposons aucun traceur sans votre accord.",
            "Les traceurs ne sont déposés qu'avec votre accord.",
        ),
        (
            "fr",
            "Nous ne conservons vos messages que pendant 30 jours.",
            "Vos messages sont conservés uniquement pendant 30 jours.",
        ),
        (
            "fr",
            "Les sauvegardes sont chiffrées pendant leur transfert.",
            "Pendant leur transfert, les sauvegardes sont chiffrées.",
        ),
        (
            "de",
            "Wir speichern Standortdaten nur mit Ihrer Einwilligung.",
            "Ohne Ihre Einwilligung speichern wir keine Standortdaten.",
        ),
        ("de", "Wir verkaufen keine Kundendaten.", "Kundendaten werden von uns nicht verkauft."),
        (
            "en",
            "We use your data to ship your parcels.",
            "Your information lets us ship your parcels.",
        ),
        (
            "en",
            "We do not sell your data to brokers for their marketing.",
            "We don't sell your data to brokers for their own marketing purposes.",
        ),
        (
            "en",
            "We use cookies to remember your language.",
            "We use cookies to remember your preferred language.",
        ),
        (
            "fr",
            "Nous conservons vos factures pendant dix ans.",
            "Vos factures sont conservées 10 ans.",
        ),
        (
            "de",
            "Sie haben das Recht auf Löschung Ihrer Daten.",
            "Sie können die Löschung Ihrer Daten verlangen.",
        ),
    ],
)
def test_equivalent_wordings_are_reworded(lang, old, new):
    assert verdict(lang, old, new).type == "reworded"


def test_identical_wording_is_unchanged():
    assert verdict("en", "We never sell data.", "We never sell data.").type == "unchanged"


def test_not_only_is_not_read_as_exclusivity():
    assert "exclusivity-added" not in codes(
        "en",
        "We use your data to run the service.",
        "We use your data not only to run the service but also to train models.",
    )


def test_every_reason_detail_quotes_words():
    result = verdict(
        "fr",
        "Vous pouvez exporter vos données à tout moment.",
        "Vous pouvez exporter vos données une fois par an.",
    )
    assert result.reasons and all("'" in r.detail for r in result.reasons)


def test_a_list_grown_in_a_sentence_without_practice_is_only_reworded():
    result = verdict(
        "en",
        "Our security report covers our apps (Notes and Mail).",
        "Our security report covers our apps (Notes, Calendar and Mail).",
    )
    assert result.type == "reworded"


def test_safeguard_named_in_other_words_is_reworded():
    result = verdict(
        "en",
        "Your backups are end-to-end encrypted.",
        "Backups you make are protected with end-to-end encryption.",
    )
    assert result.type == "reworded"


@pytest.mark.parametrize(
    "lang, old, new, kind, code, quoted",
    [
        ("fr", "Les données de compte comprennent vos nom, adresse électronique, numéro de téléphone et date "
         "de naissance.", "Les informations de compte comprennent vos nom, numéro d'identification, adresse "
         "électronique, numéro de téléphone et date de naissance.",
         "weakened", "scope-widened", "ajout de 'numéro d'identification' : la pratique couvre"),
        ("en", "To verify your account we use your phone number, your e-mail address, and your date of birth "
         "where the law requires it.", "To verify your account we use your phone number, your selfie, your "
         "e-mail address, your ID card and your date of birth where the law requires it.",
         "weakened", "scope-widened", "'your selfie', 'your ID card' were added"),
        ("de", "| Kontodaten | Name; E-Mail-Adresse; Geburtsdatum; Zahlungsdaten |",
         "| Kontodaten | Name; Telefonnummer; E-Mail-Adresse; Geburtsdatum; Standort; Zahlungsdaten |",
         "weakened", "scope-widened", "'Telefonnummer', 'Standort' hinzugefügt: die Praxis"),
        ("en", "Messages you send, the photos you attach and your voice notes are encrypted end to end "
         "on our servers.", "Messages you send, the photos you attach, your voice notes and your call logs "
         "are encrypted end to end on our servers.",
         "strengthened", "right-widened", "'and your call logs' was added"),
        ("fr", "Vos données sont transmises à nos prestataires de paiement, à nos auditeurs, à nos assureurs et "
         "à nos partenaires publicitaires, dans le respect du RGPD.", "Vos données sont transmises à nos "
         "prestataires de paiement, à nos auditeurs et à nos assureurs, dans le respect du RGPD.",
         "strengthened", "recipients-removed", "suppression de 'à nos partenaires publicitaires' : moins"),
    ],
)
def test_an_enumeration_that_grows_or_shrinks_inside_a_reworded_statement(lang, old, new, kind, code, quoted):
    result = verdict(lang, old, new)
    assert result.type == kind
    (reason,) = [r for r in result.reasons if r.code == code]
    assert reason.detail.startswith(quoted)


@pytest.mark.parametrize(
    "lang, old, new, gained",
    [
        ("en", "To open an account you give us basic details, such as your e-mail address, your date of birth "
         "and a password.", "To open an account you give us basic details, such as your phone number, your "
         "e-mail address and your date of birth.",
         "your phone number"),
        ("fr", "Notre transporteur reçoit les données utiles : votre nom, votre adresse et votre historique "
         "d'achats.", "Notre transporteur reçoit les données utiles : votre géolocalisation, votre nom et "
         "votre adresse.",
         "votre géolocalisation"),
        ("de", "Wir speichern Kontodaten, etwa Ihren Namen, Ihre Anschrift und Ihre Kundennummer.",
         "Wir speichern Kontodaten, etwa Ihre Standortdaten, Ihren Namen und Ihre Anschrift.",
         "Ihre Standortdaten"),
    ],
)
def test_an_item_added_in_one_place_and_another_dropped_elsewhere_is_not_a_rewording(lang, old, new, gained):
    """A list that gains one thing and loses another elsewhere is no longer the same list;
    a tie counts as weaker, so a reader sees the gain."""
    result = verdict(lang, old, new)
    assert result.type == "weakened"
    assert gained in " ".join(r.detail for r in result.reasons)


def test_an_item_lengthened_or_inflected_is_the_same_item():
    result = verdict(
        "de",
        "Sie können Fotos, Videos, Audio, Text und andere Inhalte veröffentlichen.",
        "Sie können Ihre Fotos, Videos, Audiodateien, Texte und andere Inhalte veröffentlichen.",
    )
    assert result.type == "reworded"


@pytest.mark.parametrize(
    "lang, narrow, wide, words",
    [
        ("en", "Our partners read the cookies on your device, except those that hold health data.",
         "Our partners read the cookies on your device.", "except"),
        ("fr", "Nos partenaires lisent les traceurs de votre appareil, à l'exception de ceux qui contiennent "
         "des données de santé.", "Nos partenaires lisent les traceurs de votre appareil.", "à l'exception de"),
        ("de", "Unsere Partner lesen die Cookies auf Ihrem Gerät aus, außer solchen mit Gesundheitsdaten.",
         "Unsere Partner lesen die Cookies auf Ihrem Gerät aus.", "außer"),
    ],
)
def test_a_practice_that_stops_leaving_something_out_is_weaker(lang, narrow, wide, words):
    """In a prohibition an exception is a loophole; in a practice it is a limit, so dropping
    it widens what the company does."""
    dropped = verdict(lang, narrow, wide)
    assert dropped.type == "weakened"
    assert [r.code for r in dropped.reasons] == ["carve-out-removed"]
    assert words in dropped.reasons[0].detail
    assert verdict(lang, wide, narrow).type == "strengthened"


@pytest.mark.parametrize(
    "lang, old, new",
    [
        ("fr", "* Autres : titres téléchargés et temps d'écoute.",
         "* Données d'usage : titres téléchargés, temps d'écoute, clics et parcours."),
        ("en", "* Other: tracks downloaded and listening time.",
         "* Usage data: tracks downloaded, listening time, clicks and journeys."),
    ],
)
def test_things_downloaded_are_data_collected_not_a_right_to_download(lang, old, new):
    """"Download" is a right only with the person's data as its object ("download your
    data"); tracks a person downloaded are more data about them."""
    assert verdict(lang, old, new).type == "weakened"


def test_downloading_ones_own_data_is_still_a_right():
    result = verdict("fr", "Vous pouvez télécharger vos données et vos factures.",
                     "Vous pouvez télécharger vos données.")
    assert result.type == "weakened"
    assert [r.code for r in result.reasons] == ["right-narrowed"]


@pytest.mark.parametrize(
    "lang, old, new",
    [
        ("de", "Wir lehnen Anfragen ab, wenn sie Rechte anderer nicht wahren.",
         "Wir lehnen Anfragen ab, wenn dadurch Rechte anderer nicht gewahrt werden."),
        ("en", "We do not share your data with advertisers.", "We thus do not share your data with advertisers."),
        ("fr", "Nous ne partageons pas vos données avec des annonceurs.",
         "Nous ne partageons donc pas vos données avec des annonceurs."),
    ],
)
def test_an_adverb_pointing_back_changes_no_prohibition(lang, old, new):
    assert verdict(lang, old, new).type == "reworded"


def test_items_reworded_one_for_one_leave_the_list_as_long_as_it_was():
    old = "Nous conservons vos nom, adresse électronique, numéro de téléphone et adresse postale, puis les supprimons."
    new = "Nous conservons vos nom, e-mail, téléphone et adresse postale, puis les supprimons."
    assert verdict("fr", old, new).type == "reworded"


@pytest.mark.parametrize(
    "lang, old, new, kind, detail",
    [
        ("fr", "Les données de livraison sont conservées 1 an après la livraison.",
         "Les données de livraison sont conservées 13 mois après la livraison.",
         "weakened", "'1 an' est devenu '13 mois' : les données sont conservées plus longtemps"),
        ("en", "We keep your search history for 2 years.", "We keep your search history for 12 months.",
         "strengthened", "'2 years' became '12 months': the data is kept for a shorter time"),
        ("de", "Wir speichern Ihre Rechnungen drei Jahre lang.", "Wir speichern Ihre Rechnungen so lange wie nötig.",
         "weakened", "aus 'drei Jahre' wurde 'so lange wie nötig': die Speicherdauer hat keine feste Grenze mehr"),
    ],
)
def test_durations_compare_across_units_and_are_quoted_as_written(lang, old, new, kind, detail):
    result = verdict(lang, old, new)
    assert result.type == kind
    assert detail in [r.detail for r in result.reasons]


def test_the_same_duration_in_other_units_is_no_change():
    assert verdict("en", "We keep your logs for 30 days.", "We keep your logs for one month.").type == "reworded"
    assert verdict("fr", "Vos factures sont gardées 12 mois.", "Vos factures sont gardées 1 an.").type == "reworded"


def test_a_table_row_changes_as_its_cells_do():
    old = "| Kontodaten | Name; E-Mail-Adresse; Geburtsdatum | 3 Jahre nach Kündigung |"
    new = "| Kontodaten | Name; Telefonnummer; E-Mail-Adresse; Geburtsdatum | 5 Jahre nach Kündigung |"
    result = verdict("de", old, new)
    assert result.type == "weakened"
    assert [r.detail for r in result.reasons] == [
        "'Telefonnummer' hinzugefügt: die Praxis umfasst jetzt mehr",
        "aus '3 Jahre' wurde '5 Jahre': die Daten werden länger gespeichert",
    ]


def test_a_row_whose_cells_only_move_words_around_is_reworded():
    old = "| Données de facturation | Nom, adresse et moyen de paiement | 10 ans |"
    new = "| Données de facturation | Nom, adresse, moyen de paiement | dix ans |"
    assert verdict("fr", old, new).type == "reworded"


@pytest.mark.parametrize("code", available())
def test_every_reason_has_its_sentence_in_every_language_file(code):
    """Reasons speak the document's language: no code falls back to English unnoticed."""
    own = tomllib.loads((Path(lang.__file__).parent / f"{code}.toml").read_text(encoding="utf-8"))["reasons"]
    english = load("en").reasons
    assert set(own) == set(english)
    for key, sentence in own.items():
        assert ("{old}" in sentence) == ("{old}" in english[key]) and ("{new}" in sentence) == ("{new}" in english[key])


def test_a_german_weakening_reads_in_german_with_the_same_code():
    result = verdict("de", "Wir geben Ihre Daten niemals an Dritte weiter.", "Wir geben Ihre Daten an Dritte weiter.")
    assert [(r.code, r.detail) for r in result.reasons] == [
        ("absolute-removed", "'niemals' gestrichen: das Versprechen gilt nicht mehr ausnahmslos")]


@pytest.mark.parametrize(
    "lang, old, new, kind",
    [
        ("de", "| Andere Daten, die wir mit Ihrer Einwilligung erheben |", "| Andere Daten, die wir erheben |",
         "weakened"),
        ("en", "We share your e-mail address with partners with your consent.",
         "We share your e-mail address with partners.", "weakened"),
        ("fr", "Nous partageons votre adresse avec nos partenaires.",
         "Nous partageons votre adresse avec nos partenaires avec votre consentement.", "strengthened"),
    ],
)
def test_consent_dropped_from_a_practice_frees_it(lang, old, new, kind):
    result = verdict(lang, old, new)
    assert result.type == kind
    assert result.reasons[0].code == ("consent-gate-removed" if kind == "weakened" else "consent-gate-added")


def test_words_added_are_quoted_as_the_document_writes_them():
    result = verdict("fr", "Nous utilisons votre numéro de téléphone pour sécuriser votre compte.",
                     "Nous utilisons votre numéro de téléphone pour sécuriser votre compte et pour "
                     "l'authentification de vos paiements.")
    assert result.type == "weakened"
    assert result.reasons[0].detail.startswith("ajout de 'et pour l'authentification de vos paiements' : ")


@pytest.mark.parametrize(
    "lang, old, new, kind",
    [
        ("en", "Your messages are encrypted in transit.", "Your messages are encrypted on our servers and in transit.",
         "strengthened"),
        ("fr", "Vos messages sont chiffrés en transit.", "Vos messages sont chiffrés sur nos serveurs et en transit.",
         "strengthened"),
        ("de", "Ihre Nachrichten werden bei der Übertragung verschlüsselt.",
         "Ihre Nachrichten werden auf unseren Servern und bei der Übertragung verschlüsselt.", "strengthened"),
        ("en", "We share your messages with our hosting provider.",
         "We share your messages and your contacts with our hosting provider.", "weakened"),
        ("fr", "Nous partageons vos messages avec notre hébergeur.",
         "Nous partageons vos messages et vos contacts avec notre hébergeur.", "weakened"),
        ("de", "Wir geben Ihre Nachrichten an unseren Hoster weiter.",
         "Wir geben Ihre Nachrichten und Ihre Kontakte an unseren Hoster weiter.", "weakened"),
    ],
)
def test_widening_a_safeguard_strengthens_and_widening_a_practice_weakens(lang, old, new, kind):
    assert verdict(lang, old, new).type == kind


@pytest.mark.parametrize(
    "lang, old, new, code",
    [
        ("en", "We never sell or share your health data.", "We never share your health data.",
         "prohibition-narrowed"),
        ("fr", "Nous ne vendons ni ne partageons jamais vos données de santé.",
         "Nous ne partageons jamais vos données de santé.", "prohibition-narrowed"),
    ],
)
def test_a_practice_dropped_from_a_ban_reads_as_a_ban_that_covers_less(lang, old, new, code):
    result = verdict(lang, old, new)
    assert result.type == "weakened"
    assert {r.code for r in result.reasons} == {code}


def test_several_recipients_added_in_a_row_are_all_named():
    result = verdict("en", "Payments are handled by our providers Stripe, Adyen and PayPal.",
                     "Payments are handled by our providers Stripe, Adyen, PayPal, Klarna and Worldline.")
    assert result.type == "weakened"
    assert result.reasons[0].detail.startswith("'Klarna', 'Worldline' were added: ")


def test_items_of_a_list_inside_a_table_cell_are_read_across_line_breaks():
    old = "| Zwecke | Um unseren Dienst zu verbessern:<br>* Forschungsdaten<br>* Technische Daten<br>* Nutzungsdaten |"
    new = ("| Zwecke | Um unseren Dienst zu verbessern:<br>* Forschungsdaten<br>* Technische Daten"
           "<br>* Standortdaten<br>* Nutzungsdaten |")
    result = verdict("de", old, new)
    assert result.type == "weakened"
    assert result.reasons[0].detail.startswith("'Standortdaten' hinzugefügt")


def test_a_safeguard_word_in_a_rewritten_practice_is_no_new_right_but_a_right_added_to_rights_is():
    assert verdict("fr", "Nos partenaires publicitaires reçoivent votre adresse IP.",
                   "Nos partenaires publicitaires reçoivent votre adresse IP sous contrôle.").type != "strengthened"
    assert verdict("en", "You can access your data.", "You can access and delete your data.").type == "strengthened"
