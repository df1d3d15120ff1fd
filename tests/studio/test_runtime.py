import pytest
import torch

from pfn_core.studio.runtime import THREADS_VARIABLE, share_cores_with_browser, studio_threads


@pytest.mark.parametrize(("cpus", "threads"), [(1, 1), (2, 1), (3, 1), (8, 4), (16, 8)])
def test__studio_threads__leave_half_the_cpus_to_the_browser(cpus, threads):
    assert studio_threads(cpus, environ={}) == threads


def test__studio_threads__follow_the_environment_variable():
    assert studio_threads(2, environ={THREADS_VARIABLE: "2"}) == 2


@pytest.mark.parametrize("bad", ["0", "two", "-1", "1.5"])
def test__studio_threads__refuse_a_bad_setting_with_its_name(bad):
    with pytest.raises(ValueError, match=THREADS_VARIABLE):
        studio_threads(2, environ={THREADS_VARIABLE: bad})


def test__share_cores_with_browser__sets_torch_threads(monkeypatch):
    before = torch.get_num_threads()
    monkeypatch.setenv(THREADS_VARIABLE, "1")
    try:
        assert share_cores_with_browser() is None
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test__share_cores_with_browser__falls_back_and_says_why_on_a_bad_setting(monkeypatch):
    before = torch.get_num_threads()
    monkeypatch.setenv(THREADS_VARIABLE, "lots")
    try:
        message = share_cores_with_browser()
        assert THREADS_VARIABLE in message and "'lots'" in message
        assert torch.get_num_threads() == studio_threads(environ={})
    finally:
        torch.set_num_threads(before)
