#!/bin/sh
# aq-dims golden files: t/data/dims/NAME.args (kind, input) -> NAME.out.ndjson + NAME.rejects.tsv
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/golden.sh"
golden dims aq-dims
done_testing
