import os
import sys

from wgan.cli import main

code = main()
if "TORCHELASTIC_RUN_ID" in os.environ:
    # A torchrun worker: its files are written and its process group destroyed. Leave without
    # the interpreter's finalisation, where a gloo worker thread still holding a tensor now and
    # then aborts the process ("terminate called without an active exception", exit -6, which
    # torchrun reports as a failed job; pytorch/pytorch#179291).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
raise SystemExit(code)
