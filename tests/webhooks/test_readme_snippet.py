"""The README's five-line signature check accepts what ChurnOps sends and refuses a tampered body."""

import re
import time
from pathlib import Path

from webhooks.signing import signature_header


def test_the_readme_verifier_accepts_our_signature_and_refuses_a_changed_body():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    code = re.search(r"```python\n(.*?def verify.*?)```", readme, re.S).group(1)
    assert len(code.strip().splitlines()) == 5
    namespace: dict = {}
    exec(code, namespace)  # the snippet as a reader would paste it
    body = b'{"id":"alert.opened:1","type":"alert.opened"}'
    header = signature_header("whsec", int(time.time()), body)
    assert namespace["verify"]("whsec", header, body) is True
    assert namespace["verify"]("whsec", header, body + b" ") is False
    assert namespace["verify"]("other", header, body) is False
