import os
import pickle
import subprocess
import sys

_LANGUAGES = ("import pickle, sys; from tracker.lang import _data; "
              "sys.stdout.buffer.write(pickle.dumps([_data(code) for code in ('en', 'fr', 'de')]))")


def test_a_language_read_from_its_cached_copy_is_the_language_parsed(tmp_path):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    run = [sys.executable, "-c", _LANGUAGES]
    parsed = subprocess.run(run, env=env, capture_output=True, check=True).stdout
    assert len(list((tmp_path / "pledge-tracker").glob("lang-*.json"))) == 3
    from_copies = subprocess.run(run, env=env, capture_output=True, check=True).stdout
    assert pickle.loads(from_copies) == pickle.loads(parsed)
