"""The Rasa server's start-up settings (server/startup.py) are applied by `python -m server`, before
Rasa is imported, and not in the action server. Each check runs in a fresh interpreter."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.unit


def _modules_after_prepare(arguments: list) -> dict:
    probe = (
        "import sys\n"
        "from server.startup import prepare\n"
        f"prepare({arguments!r})\n"
        "print('jax absent' if 'jax' in sys.modules and sys.modules['jax'] is None else 'jax importable')\n"
        "print('skops loaded' if 'skops.io' in sys.modules else 'skops not loaded')\n"
        "print('tensorflow loaded' if 'tensorflow' in sys.modules else 'tensorflow not loaded')\n"
        "try:\n"
        "    import jax\n"
        "    print('import jax worked')\n"
        "except ImportError:\n"
        "    print('import jax raised ImportError')\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    return set(found.stdout.splitlines())


def test_the_rasa_server_imports_skops_before_tensorflow_and_never_jax():
    found = _modules_after_prepare(["run", "--model", "models/helpdesk.tar.gz"])
    assert {"jax absent", "skops loaded", "tensorflow not loaded", "import jax raised ImportError"} <= found


def test_the_action_server_is_left_alone():
    found = _modules_after_prepare(["run", "actions", "--actions", "actions"])
    assert {"skops not loaded", "tensorflow not loaded"} <= found
    assert "jax absent" not in found


def test_python_m_server_prepares_before_anything_imports_rasa():
    """In server/__main__.py, prepare() is called before apply_fixes() (which imports Rasa's core)
    and before Rasa's main is imported."""
    tree = ast.parse((ROOT / "server" / "__main__.py").read_text(encoding="utf-8"))
    lines = {
        node.func.id: node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    rasa_imports = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module.startswith("rasa")
    ]
    assert rasa_imports and lines["prepare"] < lines["apply_fixes"] < min(rasa_imports)
