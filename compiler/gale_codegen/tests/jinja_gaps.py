"""Records Mistral 23's outcome for the Jinja strings of `jinja_gaps.txt` (one per line,
`\\n` for a newline): recursive loops, `{% call %}`, macro `varargs`/`kwargs`,
`urlize`, `wordwrap`, `xmlattr`, recursion. Run with the venv that has mistral 23.0.0:

    cd /tmp && /work/venv/bin/python <this dir>/jinja_gaps.py <this dir>/jinja_gaps.txt \\
        > <this dir>/jinja_gaps.jsonl
"""
import copy, json, sys, types, warnings
warnings.filterwarnings("ignore")
from mistral.db.v2 import api as _db  # noqa
from mistral.expressions import evaluate
CTX = {"a": 1, "s": "hello", "list": [1, 2, 3],
       "tree": [{"name": "a", "children": [{"name": "b", "children": []}, {"name": "c", "children": [{"name": "d", "children": []}]}]}],
       "url": "see http://example.com/x and www.test.org, mail me@x.org",
       "text": "the quick brown fox jumps over the lazy dog " * 3,
       "attrs": {"class": "x y", "id": 3, "skip": None, "data-v": "<&>"}}
def encode(v):
    if isinstance(v, bool) or v is None or isinstance(v, str): return v
    if isinstance(v, int): return v
    if isinstance(v, float): return v
    if isinstance(v, tuple): return {"$tuple": [encode(x) for x in v]}
    if isinstance(v, list): return [encode(x) for x in v]
    if isinstance(v, dict): return {k: encode(x) for k, x in v.items()}
    if isinstance(v, (types.GeneratorType, range)): return {"$iterator": [encode(x) for x in v]}
    t = type(v); return {"$opaque": f"{t.__module__}.{t.__qualname__}"}
for i, text in enumerate(l for l in open(sys.argv[1]).read().split("\n") if l):
    text = text.replace("\\n", "\n")
    case = {"id": f"jinja_gaps#{i}", "source": "gale::jinja_gaps", "mode": "evaluate", "language": "jinja", "expr": text, "context": copy.deepcopy(CTX)}
    try:
        case["expect"] = {"value": encode(evaluate(text, copy.deepcopy(CTX)))}
    except Exception as e:
        cause = e.__cause__ or e.__context__
        case["expect"] = {"error": type(e).__name__, "cause": type(cause).__name__ if cause else None, "message": str(e)[:300]}
    print(json.dumps(case))
