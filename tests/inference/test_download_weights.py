"""`manage.py download_weights` (`make weights`): download into the cache, then load and check like a job.

Only the network is replaced: `huggingface_hub.snapshot_download` lays out files from an
"upstream" stand-in in the cache the way the hub does; loading and checking are real.
"""

import io

import pytest
from django.core.management import CommandError, call_command

from inference.detectors.weights import MOONDREAM_TOKENIZER
from tests.inference.moondream_standin import TOKENIZER_REPO, build_standin, publish_to_cache, tokenizer_source

REPO_ID, REVISION = "vikhyatk/moondream2", "2025-06-21"


@pytest.fixture
def upstream(tmp_path, hf_cache, monkeypatch):
    """The hub, as far as snapshot_download goes: serves a stand-in built elsewhere; records the downloads."""
    calls = []

    def publish(*, rotary_base=10000.0):
        directory, _ = build_standin(tmp_path / "upstream", tmp_path / "upstream-hf" / "hub", rotary_base=rotary_base)
        sources = {REPO_ID: directory, TOKENIZER_REPO: tokenizer_source(tmp_path / "upstream-hf" / "hub")}

        def snapshot_download(repo_id, revision=None, **kwargs):
            calls.append((repo_id, revision))
            return str(publish_to_cache(sources[repo_id], hf_cache, repo_id, revision or "main"))

        monkeypatch.setattr("huggingface_hub.snapshot_download", snapshot_download)
        return calls

    return publish


def test_the_pinned_revision_and_its_tokenizer_land_in_the_cache_and_load(upstream, hf_cache, settings):
    calls = upstream()
    settings.MOONDREAM_MODEL, settings.MOONDREAM_REVISION = REPO_ID, REVISION
    out = io.StringIO()
    call_command("download_weights", stdout=out)
    assert calls == [(REPO_ID, REVISION), (MOONDREAM_TOKENIZER, None)]
    assert (hf_cache / "models--vikhyatk--moondream2" / "refs" / REVISION).is_file()
    assert "loaded and checked on cpu" in out.getvalue() and "ready" in out.getvalue()


def test_weights_that_download_but_do_not_pass_the_check_fail_the_command_with_the_reason(upstream):
    upstream(rotary_base=0.0)
    with pytest.raises(CommandError, match="model.text.freqs_cis"):
        call_command("download_weights", "--model", REPO_ID, "--revision", REVISION, stdout=io.StringIO())


def test_no_check_only_downloads(upstream):
    calls = upstream(rotary_base=0.0)
    out = io.StringIO()
    call_command("download_weights", "--model", REPO_ID, "--revision", REVISION, "--no-check", stdout=out)
    assert len(calls) == 2 and "not checked" in out.getvalue()
