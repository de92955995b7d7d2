/* 0850-idset: bin/idset.c, the set of key triples that aq-dims
 * de-duplicates with and the map of ids to dense indexes.  Built from the
 * tool sources (bin/idset.c, bin/row.c for the out-of-memory exit). */
#include <stdint.h>
#include <string.h>

#include "idset.h"
#include "tap.h"

int
main(void)
{
	struct idset s;
	struct idmap m = {0};
	int64_t i;
	size_t n;
	int bad, isnew;

	idset_init(&s, 0);
	is_int(idset_add(&s, 7, 1, 2), 1, "a new key is added");
	is_int(idset_add(&s, 7, 1, 2), 0, "the same key again is seen");
	is_int(idset_add(&s, 7, 2, 1), 1, "b and c are part of the key");
	is_int(idset_add(&s, 8, 1, 2), 1, "so is a");
	for (i = 1, bad = 0; i <= 100000; i++)
		bad += idset_add(&s, i * 7919, -i, i) != 1;
	is_int(bad, 0, "100000 distinct keys are all new, through many growths");
	for (i = 1, bad = 0; i <= 100000; i++)
		bad += idset_add(&s, i * 7919, -i, i) != 0;
	is_int(bad, 0, "and all seen the second time");
	is_int(s.resets, 0, "an unbounded set never starts afresh");
	idset_free(&s);
	ok(s.slots == NULL && s.n == 0, "free zeroes the set");
	idset_free(&s);

	idset_init(&s, 3);
	idset_add(&s, 1, 0, 0);
	idset_add(&s, 2, 0, 0);
	idset_add(&s, 3, 0, 0);
	is_int(idset_add(&s, 3, 0, 0), 0, "a bounded set keeps max keys");
	is_int(idset_add(&s, 4, 0, 0), 1, "one more key");
	is_int(s.resets, 1, "starts it afresh");
	is_int(idset_add(&s, 1, 0, 0), 1, "so an old key is new again");
	is_int(idset_add(&s, 4, 0, 0), 0, "but the one that reset it is kept");
	idset_free(&s);

	ok(idset_hash(1, 2, 3) == idset_hash(1, 2, 3), "the hash is a function of the key");
	ok(idset_hash(1, 2, 3) != idset_hash(3, 2, 1), "the order of a, b, c counts");

	is_int(idmap_get(&m, 5) == IDMAP_NONE, 1, "an empty map has no ids");
	for (i = 1, bad = 0; i <= 50000; i++) {
		n = idmap_put(&m, (i * 104729) % 1000003 + 1, &isnew);
		bad += n != (size_t)(i - 1) || !isnew;
	}
	is_int(bad, 0, "50000 new ids get the indexes 0, 1, 2... in order");
	for (i = 1, bad = 0; i <= 50000; i++) {
		int64_t id = (i * 104729) % 1000003 + 1;

		n = idmap_put(&m, id, &isnew);
		bad += n != (size_t)(i - 1) || isnew || idmap_get(&m, id) != n;
	}
	is_int(bad, 0, "an id put again keeps its index, and get finds it");
	is_int(m.n, 50000, "n counts the ids");
	is_int(idmap_get(&m, 1000005) == IDMAP_NONE, 1, "an id never put is IDMAP_NONE");
	is_int(idmap_get(&m, 0) == IDMAP_NONE, 1, "so is 0, which is never an id");
	is_int(idmap_put(&m, 1000005, NULL), 50000, "isnew may be NULL");
	idmap_free(&m);
	ok(m.slots == NULL && m.n == 0 && m.cap == 0, "free zeroes the map");
	idmap_free(&m);
	return done_testing();
}
