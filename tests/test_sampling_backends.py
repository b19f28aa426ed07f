"""nutpie's compile backends: numba (the default) and, when jax is installed, JAX."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from conftest import fast_spec
from flopcast.fitting import fit, sampling


def test_the_default_backend_is_numba():
    assert sampling.NUTPIE_BACKEND == "numba"


def test_data_names_read_both_kinds_of_compiled_model():
    numba_model = SimpleNamespace(shared_data={"t": 1, "y": 2})
    jax_model = SimpleNamespace(_shared_data={"t": 1})  # nutpie's PyFuncModel
    assert sampling._data_names(numba_model) == {"t", "y"}
    assert sampling._data_names(jax_model) == {"t"}


@pytest.mark.slow
def test_the_jax_backend_fits_and_reuses_its_compiled_model(standard_runs, monkeypatch):
    pytest.importorskip("jax")
    monkeypatch.setattr(sampling, "NUTPIE_BACKEND", "jax")
    spec = fast_spec(sampler={"chains": 2, "draws": 200, "tune": 300, "seed": 3})
    runs, _ = standard_runs
    first = fit(runs, spec, progress=False)
    again = fit(runs, spec, seed=4, progress=False)
    assert first.posterior.sizes["draw"] == 200
    assert again.provenance["timings_s"]["compiled_model_reused"] == 1.0
    assert np.isfinite(first.posterior["doubling_months"].values).all()
    assert any(key[0] == "jax" for key in sampling._COMPILED)
