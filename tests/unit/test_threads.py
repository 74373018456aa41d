"""Per-step thread counts: the measured table, the overrides, and BLAS/torch set inside the block."""

from __future__ import annotations

import pytest
import torch
from threadpoolctl import threadpool_info, threadpool_limits

from subsidence.threads import BLAS_ENV_VARIABLE, ENV_VARIABLE, STEP_THREADS, step_counts, step_threads


def _blas_threads() -> set[int]:
    return {int(i["num_threads"]) for i in threadpool_info() if i["user_api"] == "blas"}


def test_every_pipeline_step_has_a_measured_count_with_its_reason() -> None:
    assert set(STEP_THREADS) == {"krige", "train", "evaluate"}
    for chosen in STEP_THREADS.values():
        assert chosen.torch >= 1 and chosen.blas >= 1 and "s" in chosen.reason


def test_the_step_sets_blas_and_torch_and_puts_them_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VARIABLE, raising=False)
    monkeypatch.setenv(BLAS_ENV_VARIABLE, "2")
    torch.set_num_threads(2)
    with threadpool_limits(limits=1, user_api="blas"):
        with step_threads("evaluate") as (n_torch, n_blas):
            assert (n_torch, n_blas) == (STEP_THREADS["evaluate"].torch, 2)
            assert _blas_threads() == {2}
            assert torch.get_num_threads() == n_torch == 1
        assert _blas_threads() == {1}
    assert torch.get_num_threads() == 2


def test_environment_overrides_every_step(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VARIABLE, "3")
    monkeypatch.setenv(BLAS_ENV_VARIABLE, "2")
    assert step_counts("krige") == (3, 2)
    monkeypatch.setenv(BLAS_ENV_VARIABLE, "zero")
    assert step_counts("krige") == (3, STEP_THREADS["krige"].blas)
    with pytest.raises(KeyError):
        step_counts("draw")
