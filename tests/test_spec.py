"""Specs are validated strictly: typos get a hint, values are range-checked by name."""

from __future__ import annotations

import pytest

from flopcast.exceptions import SpecError
from flopcast.spec import ModelSpec, load_spec, shipped_specs

SHIPPED = ["frontier", "seed_2018", "single_trend", "three_eras", "two_eras"]


def test_every_shipped_spec_loads_and_is_named_after_its_file():
    assert set(SHIPPED) <= set(shipped_specs())
    for name in SHIPPED:
        assert load_spec(name).name == name


def test_a_typo_in_a_section_name_is_rejected_with_a_hint(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[modle]\nbreaks = 2\n")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    message = str(info.value)
    assert str(path) in message
    assert "did you mean 'model'?" in message


def test_a_typo_in_a_key_names_the_valid_keys():
    with pytest.raises(SpecError, match=r"model.braeks: unknown key \(did you mean 'breaks'\?\)"):
        ModelSpec.from_dict({"model": {"braeks": 2}})


def test_out_of_range_values_name_the_parameter():
    with pytest.raises(SpecError, match=r"model.breaks = 7"):
        ModelSpec.from_dict({"model": {"breaks": 7}})
    with pytest.raises(SpecError, match=r"errors.coverage = 1.5"):
        ModelSpec.from_dict({"errors": {"coverage": 1.5}})


def test_an_unknown_data_column_is_rejected():
    hint = r"unknown data column 'domian' \(did you mean 'domain'\?\)"
    with pytest.raises(SpecError, match=hint):
        ModelSpec.from_dict({"data": {"select": [{"where": {"domian": ["Language"]}}]}})


def test_an_unknown_frontier_rule_lists_the_rules():
    with pytest.raises(SpecError, match=r"frontier.rule = 'top10'.*'none', 'top_n' or 'residual'"):
        ModelSpec.from_dict({"frontier": {"rule": "top10"}})


def test_unknown_error_labels_are_rejected_with_the_valid_labels():
    with pytest.raises(SpecError, match=r"unknown label\(s\) \['likly'\]"):
        ModelSpec.from_dict({"errors": {"confidence_factors": {"likly": 2.0}}})


def test_fixed_breaks_must_match_the_number_of_breaks():
    with pytest.raises(SpecError, match="fixed_breaks has 2 date"):
        ModelSpec.from_dict({"model": {"breaks": 1, "fixed_breaks": [2000.0, 2012.0]}})


def test_student_t_scatter_cannot_use_the_marginal_form():
    with pytest.raises(SpecError, match="no closed-form"):
        ModelSpec.from_dict({"model": {"scatter": "student_t", "form": "marginal"}})
    assert ModelSpec.from_dict({"model": {"scatter": "student_t"}}).model.resolved_form == "latent"


def test_the_resolved_spec_round_trips_through_json():
    spec = load_spec("seed_2018")
    again = ModelSpec.from_dict(spec.to_dict())
    assert again == spec
    assert again.to_dict()["sampler"]["draws"] == 2000  # seed_2018 samples longer
    assert again.to_dict()["sampler"]["chains"] == 4  # a default filled in


def test_dotted_overrides_are_validated_and_bad_paths_named():
    spec = load_spec("two_eras").with_overrides({"errors.coverage": 0.5, "model.breaks": 2})
    assert (spec.errors.coverage, spec.model.breaks) == (0.5, 2)
    with pytest.raises(SpecError, match="has no section 'modle'"):
        load_spec("two_eras").with_overrides({"modle.breaks": 2})


def test_an_unknown_shipped_spec_name_lists_the_shipped_ones():
    with pytest.raises(SpecError, match=r"did you mean 'two_eras'\?.*shipped specs"):
        load_spec("two_era")


def test_a_study_file_given_as_a_model_spec_says_to_run_it_as_a_study():
    with pytest.raises(SpecError, match="this is a study spec"):
        load_spec("models/policy_sensitivity.toml")
    assert "policy_sensitivity" not in shipped_specs()


def test_the_low_rank_mass_matrix_defaults_to_the_marginal_form_only():
    spec = load_spec("two_eras")
    assert spec.sampler.low_rank_mass_matrix is None
    assert spec.sampler.resolved_low_rank("marginal") is True
    assert spec.sampler.resolved_low_rank("latent") is False
    forced = spec.with_overrides({"sampler.low_rank_mass_matrix": True}).sampler
    assert forced.resolved_low_rank("latent") is True
    off = spec.with_overrides({"sampler.low_rank_mass_matrix": False}).sampler
    assert off.resolved_low_rank("marginal") is False
    # frontier_2008_t keeps the matrix its documented backtest scores were sampled with
    pinned = load_spec("frontier_2008_t")
    assert pinned.sampler.resolved_low_rank(pinned.model.resolved_form) is True
