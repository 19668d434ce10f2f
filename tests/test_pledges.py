"""Segmentation: sentences, list items and table rows, with their headings."""

from tracker.lang import load
from tracker.pledges import segment, split_sentences


def texts(document: str, lang: str = "en") -> list[str]:
    return [p.text for p in segment(document, lang)]


def test_paragraph_is_split_into_sentences():
    document = "We keep your orders for five years. You can ask us to delete them.\n"
    assert texts(document) == [
        "We keep your orders for five years.",
        "You can ask us to delete them.",
    ]


def test_english_abbreviations_do_not_end_a_sentence():
    sentence = "We collect device data, e.g. the model, i.e. what your phone is. It stays here."
    assert split_sentences(sentence, load("en")) == [
        "We collect device data, e.g. the model, i.e. what your phone is.",
        "It stays here.",
    ]


def test_french_abbreviations_do_not_end_a_sentence():
    sentence = "Nous traitons vos données (p. ex. votre adresse) selon l'art. 6 du RGPD. Voilà."
    assert split_sentences(sentence, load("fr")) == [
        "Nous traitons vos données (p. ex. votre adresse) selon l'art. 6 du RGPD.",
        "Voilà.",
    ]


def test_german_legal_references_and_ordinals_stay_in_one_sentence():
    sentence = (
        "Rechtsgrundlage ist Art. 6 Abs. 1 S. 1 lit. b DSGVO, z. B. für Ihre Bestellung "
        "am 3. Mai. Danach löschen wir die Daten."
    )
    assert split_sentences(sentence, load("de")) == [
        "Rechtsgrundlage ist Art. 6 Abs. 1 S. 1 lit. b DSGVO, z. B. für Ihre Bestellung am 3. Mai.",
        "Danach löschen wir die Daten.",
    ]


def test_list_items_are_pledges_without_their_markers():
    document = (
        "We share:\n\n- your name with couriers;\n- your address with couriers.\n1. nothing else.\n"
    )
    assert texts(document) == [
        "We share:",
        "your name with couriers;",
        "your address with couriers.",
        "nothing else.",
    ]


def test_table_row_is_one_unit_and_separator_is_skipped():
    document = "| Purpose | Data |\n| --- | --- |\n| Billing. Refunds. | Card number |\n"
    assert texts(document) == ["| Purpose | Data |", "| Billing. Refunds. | Card number |"]


def test_heading_path_is_kept_as_context():
    document = (
        "# Your rights\n\n## Deletion\n\nYou can delete your account.\n\n"
        "# Cookies\n\nWe set cookies.\n"
    )
    pledges = segment(document, "en")
    assert [(p.text, p.context) for p in pledges] == [
        ("You can delete your account.", "Your rights > Deletion"),
        ("We set cookies.", "Cookies"),
    ]


def test_bold_line_acts_as_a_subheading():
    document = "# Data\n\n**What we collect**\n\nWe collect your email address.\n"
    assert segment(document, "en")[0].context == "Data > What we collect"


def test_sentence_broken_across_blank_lines_is_mended():
    document = "We do not sell the information that you give\n\nus to anyone.\n"
    assert texts(document) == ["We do not sell the information that you give us to anyone."]


def test_data_practices_are_commitments_and_boilerplate_is_not():
    document = (
        "We never sell your personal data. Thank you for reading. "
        "Learn more about how we use cookies. Sie können Ihre Daten jederzeit löschen.\n"
    )
    flags = {p.text: p.is_commitment for p in segment(document, "en")}
    assert flags["We never sell your personal data."]
    assert not flags["Thank you for reading."]
    assert not flags["Learn more about how we use cookies."]
    german = segment("Sie können Ihre Daten jederzeit löschen. Viel Spaß!\n", "de")
    assert [p.is_commitment for p in german] == [True, False]


def test_indexes_follow_document_order():
    pledges = segment("We collect data. We share data.\n\n- We keep data.\n", "en")
    assert [p.index for p in pledges] == [0, 1, 2]


def test_notes_on_the_document_itself_and_pointers_to_more_reading_are_no_pledges():
    document = (
        "This policy has been updated on 14 August 2018 to add the information the GDPR requires.\n\n"
        "To learn more about cookies, please read our cookie notice.\n\n"
        "We never sell your personal data.\n"
    )
    flags = {p.text: p.is_commitment for p in segment(document, "en")}
    assert flags == {
        "This policy has been updated on 14 August 2018 to add the information the GDPR requires.": False,
        "To learn more about cookies, please read our cookie notice.": False,
        "We never sell your personal data.": True,
    }
    assert [p.is_commitment for p in segment("Dernière mise à jour : le 3 mars 2024, vos données.\n", "fr")] == [False]


def test_what_a_service_says_of_children_and_of_certified_safeguards_are_pledges():
    assert [p.is_commitment for p in segment("Our services are not meant for children under 16.\n", "en")] == [True]
    assert [p.is_commitment for p in segment("Ces prestataires sont certifiés PCI-DSS.\n", "fr")] == [True]
    assert [p.is_commitment for p in segment("Unser Dienst richtet sich nicht an Kinder.\n", "de")] == [True]
