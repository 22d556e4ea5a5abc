import sys
sys.path.insert(0, "/work/main/tests")
from test_pipeline import *
def test_dbg(tmp_path):
    out = tmp_path / "out"
    first = run_cli("build", str(GOOD), "--out", str(out), "--quiet", "--workers", "1")
    before = Dataset(); before.parse(out / "graph.trig", format="trig")
    import shutil; shutil.copy(out / "graph.trig", "/tmp/dbg-before.trig"); shutil.copy(out / "manifest.json", "/tmp/dbg-m1.json")
    cases = make_bad(tmp_path / "bad")
    again = run_cli("build", str(tmp_path / "bad"), "--out", str(out), "--quiet", "--workers", "1")
    shutil.copy(out / "graph.trig", "/tmp/dbg-after.trig"); shutil.copy(out / "manifest.json", "/tmp/dbg-m2.json")
    open("/tmp/dbg-out.txt","w").write(first.stdout+first.stderr+"\n-----\n"+again.stdout+again.stderr)
