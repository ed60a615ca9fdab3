"""A deprecation the node announces (a Warning header: a deprecated API, setting or parameter)
fails the test that caused it: in the test process (pyproject.toml's filterwarnings) and in every
command a test runs (tests.conftest.run_monitor reads its stderr). Shown here with an API 8.x
deprecated, so that the guard is known to catch what the node says."""

from __future__ import annotations

import subprocess
import sys

import pytest
from elasticsearch import ElasticsearchWarning

from tests.conftest import DEPRECATION, new_config


@pytest.fixture()
def vectors(es):
    index = f"{new_config().index_prefix}-vectors"
    es.indices.create(index=index, mappings={"properties": {"v": {
        "type": "dense_vector", "dims": 2, "index": True, "similarity": "l2_norm"}}})  # fmt: skip
    yield index
    es.indices.delete(index=index)


KNN = {"field": "v", "query_vector": [1.0, 1.0], "k": 1, "num_candidates": 1}


PREVIEW = "ignore::elasticsearch.exceptions.GeneralAvailabilityWarning"  # kNN search: a preview


@pytest.mark.smoke
@pytest.mark.filterwarnings(PREVIEW)
def test_a_deprecated_call_in_the_test_process_fails(es, vectors):
    with pytest.raises(ElasticsearchWarning, match="kNN search API has been replaced"):
        es.knn_search(index=vectors, knn=KNN)


@pytest.mark.smoke
def test_a_deprecated_call_in_a_command_is_seen_in_its_stderr(es, vectors, es_config):
    script = (
        "from elasticsearch import Elasticsearch;"
        f"Elasticsearch({es_config.effective_url!r}).knn_search(index={vectors!r}, knn={KNN!r})"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert [line for line in result.stderr.splitlines() if DEPRECATION in line]
