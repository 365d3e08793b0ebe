"""Runs the lab notebook's code cells in order, as a student would, and
reports each as one JSON line on stdout: {"cell", "title", "ok", "out",
"error"}.

    python3 notebook.py NOTEBOOK.md MY_NAME

The cells are taken from the notebook as they stand: each follows a line
`In [None]:` and runs to the last blank line before the notebook's text
resumes (the longest run of its lines that is Python). Shell lines (`!pip
install ...`) are left out: boto3 is already there. What a student fills in
by hand is set after the cell that asks for it: MY_NAME and the credentials
(dummy keys: the embedded SQS checks none). The endpoint comes from the
environment (AWS_ENDPOINT_URL_SQS), which boto3 reads by itself.
"""
import contextlib
import io
import json
import os
import sys
import traceback

MARK = "In [None]:"


def cells_of(text):
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if line.strip() == MARK]
    cells = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        chunk = [line for line in lines[start + 1:end] if not line.lstrip().startswith("!")]
        # Cut points: every blank line, and the end. The longest prefix that compiles is the cell;
        # what follows is the notebook's prose, which is not Python.
        cuts = [i for i, line in enumerate(chunk) if line.strip() == ""] + [len(chunk)]
        code = None
        for cut in reversed(cuts):
            candidate = "\n".join(chunk[:cut]).strip("\n")
            if candidate.strip() == "":
                continue
            try:
                compile(candidate, f"cell {n + 1}", "exec")
            except SyntaxError:
                continue
            code = candidate
            break
        cells.append(without_trailing_headings(code) if code is not None else "")
    return cells


def without_trailing_headings(code):
    """The notebook's next heading (`### Helpers`) parses as a comment: it is not part of the cell."""
    blocks = code.split("\n\n")
    while len(blocks) > 1 and all(l.lstrip().startswith("#") for l in blocks[-1].strip("\n").split("\n")):
        blocks.pop()
    return "\n\n".join(blocks)


def main():
    notebook, my_name = sys.argv[1], sys.argv[2]
    with open(notebook, encoding="utf-8") as f:
        cells = cells_of(f.read())
    scope = {"__name__": "__main__"}
    for n, code in enumerate(cells, start=1):
        title = next((l.strip() for l in code.split("\n") if l.strip()), "")
        out = io.StringIO()
        ok, error = True, None
        try:
            with contextlib.redirect_stdout(out):
                exec(compile(code, f"cell {n}", "exec"), scope)
        except BaseException:  # a cell's failure is the report, whatever it is
            ok, error = False, traceback.format_exc(limit=4)
        if "MY_NAME" in code and scope.get("MY_NAME") == "":
            # What the student types into the setup cell.
            scope["MY_NAME"] = my_name
            os.environ["AWS_ACCESS_KEY_ID"] = "local"
            os.environ["AWS_SECRET_ACCESS_KEY"] = "local"
        print(json.dumps({"cell": n, "title": title, "ok": ok, "out": out.getvalue(), "error": error}), flush=True)


if __name__ == "__main__":
    main()
