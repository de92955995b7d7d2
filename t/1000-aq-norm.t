#!/bin/sh
# aq-norm golden files: t/data/norm/NAME.in.ndjson -> NAME.out.ndjson + NAME.rejects.tsv
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/golden.sh"
golden norm aq-norm
done_testing
