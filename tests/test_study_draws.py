"""A study's draws scale: every variant's draws after warm-up scaled, nothing else changed.

No sampling here: these check the tasks the scheduler sends to workers (fast).
"""

from __future__ import annotations

import pytest

from flopcast.exceptions import FlopcastError
from flopcast.study import StudySpec, load_study, run_study
from flopcast.study.scheduler import MIN_SCALED_DRAWS, _jobs, _scaled_sampler


def _draws(jobs) -> dict[str, int]:
    return {job.variants[0].label: job.task["spec"]["sampler"]["draws"] for job in jobs}


def _tunes(jobs) -> dict[str, int]:
    return {job.variants[0].label: job.task["spec"]["sampler"]["tune"] for job in jobs}


def test_without_a_scale_the_tasks_carry_each_specs_own_draws():
    study = load_study("policy_sensitivity")
    plain = _jobs(study, None, None)
    assert _draws(plain) == _draws(_jobs(study, None, None, 1.0))
    assert _draws(plain)["base"] == 1000
    assert _draws(plain)["frontier_top5"] == 3000  # the variant's own override


def test_a_scale_halves_draws_keeps_tuning_and_the_grouping_of_variants():
    study = load_study("policy_sensitivity")
    plain = _jobs(study, None, None)
    half = _jobs(study, None, None, 0.5)
    assert [[v.label for v in j.variants] for j in half] == [
        [v.label for v in j.variants] for j in plain
    ]
    expected = {label: max(MIN_SCALED_DRAWS, d // 2) for label, d in _draws(plain).items()}
    assert _draws(half) == expected
    assert _tunes(half) == _tunes(plain)
    # Only the sampler's draws differ from the unscaled task.
    for a, b in zip(plain, half, strict=True):
        spec_a, spec_b = dict(a.task["spec"]), dict(b.task["spec"])
        sampler_a, sampler_b = spec_a.pop("sampler"), spec_b.pop("sampler")
        assert spec_a == spec_b
        assert {k: v for k, v in sampler_a.items() if k != "draws"} == {
            k: v for k, v in sampler_b.items() if k != "draws"
        }


def test_a_scale_never_goes_below_the_floor_nor_raises_small_draws():
    assert _scaled_sampler({"sampler": {"draws": 1000}}, 0.1)["sampler"]["draws"] == (
        MIN_SCALED_DRAWS
    )
    assert _scaled_sampler({"sampler": {"draws": 200}}, 0.5)["sampler"]["draws"] == 200
    assert _scaled_sampler({"sampler": {"draws": 1000}}, 2.0)["sampler"]["draws"] == 2000
    spec = {"sampler": {"draws": 1000}}
    assert _scaled_sampler(spec, None) is spec


@pytest.mark.parametrize("scale", [0, -1, 11.0])
def test_a_bad_scale_is_refused_before_anything_runs(scale):
    study = StudySpec.from_dict(
        {"name": "t", "base": "two_eras", "variants": [], "options": {"price_performance": "none"}}
    )
    with pytest.raises(FlopcastError, match="draws_scale"):
        run_study(study, processes=1, progress=False, draws_scale=scale)
