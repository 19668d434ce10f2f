import os
import pickle
import subprocess
import sys

_LANGUAGES = ("import pickle, sys; from tracker.lang import _data; languages = [_data(c) for c in ('en', 'fr', 'de')]; "
              "sys.stdout.buffer.write(pickle.dumps((languages, 'tomllib' in sys.modules)))")


def test_a_language_read_from_its_cached_copy_is_the_language_parsed(tmp_path):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    run = [sys.executable, "-c", _LANGUAGES]
    parsed, parser_loaded = pickle.loads(subprocess.run(run, env=env, capture_output=True, check=True).stdout)
    assert parser_loaded and len(list((tmp_path / "pledge-tracker").glob("lang-*.json"))) == 3
    from_copies, parser_loaded = pickle.loads(subprocess.run(run, env=env, capture_output=True, check=True).stdout)
    assert from_copies == parsed and not parser_loaded  # read from the copies, not parsed again
