"""Alignment: identical first, then similar; moves are free; merges and splits are found."""

import sys
import time
from pathlib import Path

from tracker.align import align, key

OLD = [
    "We collect your email address to create your account.",
    "We share your order history with the courier.",
    "We keep payment records for ten years.",
    "You can ask for a copy of your data.",
]


def test_identical_pledges_pair_wherever_they_moved():
    result = align(OLD, list(reversed(OLD)))
    assert result.pairs == ((0, 3), (1, 2), (2, 1), (3, 0))
    assert not result.removed and not result.added


def test_edited_pledge_pairs_with_its_new_wording():
    new = OLD[:2] + ["We keep payment records for twelve years."] + OLD[3:]
    assert (2, 2) in align(OLD, new).pairs


def test_reordered_words_still_pair():
    new = [OLD[0], OLD[1], "Payment records are kept by us for ten years.", OLD[3]]
    assert (2, 2) in align(OLD, new).pairs


def test_unrelated_sentences_are_removed_and_added():
    new = OLD[:3] + ["Our office is closed on public holidays."]
    result = align(OLD, new)
    assert result.removed == (3,)
    assert result.added == (3,)


def test_two_pledges_joined_into_one_are_merged():
    old = [
        "We encrypt your messages on our servers.",
        "Only you and the people you write to can read your messages.",
        "We never show ads.",
    ]
    new = [
        "We encrypt your messages on our servers, and only you and the people you write "
        "to can read your messages.",
        "We never show ads.",
    ]
    result = align(old, new)
    assert result.merged == (((0, 1), 0),)


def test_one_pledge_cut_in_two_is_split():
    old = [
        "We store your photos in Ireland and we delete them thirty days after you close "
        "your account.",
    ]
    new = [
        "We store your photos in Ireland.",
        "We delete your photos thirty days after you close your account.",
    ]
    assert align(old, new).split == ((0, (0, 1)),)


def test_a_duplicate_dropped_while_one_copy_remains_is_not_removed():
    old = [OLD[0], OLD[1], OLD[1], OLD[2]]
    result = align(old, OLD[:3])
    assert not result.removed and not result.added


def test_key_ignores_link_targets_case_and_punctuation():
    assert key("See [our Partners](https://a.example/x).") == key(
        "see [our partners](https://b.example/y)"
    )


def test_thousand_by_thousand_pledges_align_in_well_under_a_second():
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from align_speed import versions

    old, new = versions(1000)
    start = time.perf_counter()
    align(old, new)
    assert time.perf_counter() - start < 1.5  # generous for slow CI; the bench shows the figure


_CHARTER = [
    "Vos données de santé sont hébergées en France chez un hébergeur certifié.",
    "Vos données ne sont jamais vendues à des tiers.",
    "{middle}",
    "Vous pouvez retrouver vos rendez-vous passés dans votre espace personnel.",
    "Nous vous informons de toute fuite de données dans les 72 heures.",
]


def test_two_unrelated_pledges_between_the_same_neighbours_are_a_removal_and_an_addition():
    old = [p.format(middle="Seuls vous et votre médecin pouvez accéder à vos données de santé.") for p in _CHARTER]
    new = [p.format(middle="Les comptes restés inactifs pendant trois ans sont supprimés avec leurs données.")
           for p in _CHARTER]
    result = align(old, new)
    assert (2, 2) not in result.pairs
    assert result.removed == (2,) and result.added == (2,)


def test_a_pledge_edited_in_place_keeps_its_partner():
    old = [p.format(middle="Seuls vous et votre médecin pouvez accéder à vos données de santé.") for p in _CHARTER]
    new = [p.format(middle="Vous et votre médecin pouvez accéder à vos données de santé, ainsi que notre support.")
           for p in _CHARTER]
    assert (2, 2) in align(old, new).pairs


def test_a_one_pledge_text_edited_still_pairs_with_its_new_wording():
    old = ["Nous effacerons vos données 3 mois après la résiliation."]
    new = ["Nous conserverons vos données aussi longtemps que nécessaire après la résiliation."]
    assert align(old, new).pairs == ((0, 0),)


def test_table_rows_with_the_same_first_cell_are_one_row_edited():
    old = ["| Account data | Name, e-mail | Contract |", "| Usage data | Pages seen | Legitimate interest |"]
    new = ["| Usage data | Clicks, time spent, device model and location | Consent |",
           "| Account data | Phone number, date of birth, selfie and ID card scan | Legal obligation |"]
    assert align(old, new).pairs == ((0, 1), (1, 0))
