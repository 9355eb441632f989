// SPDX-License-Identifier: BSD-3-Clause
/*
 * Python objects read from the target's memory (see py_objects.h).
 * Nothing here depends on the version: the layouts say where things are.
 */
#include <errno.h>
#include <string.h>
#include "python/py_objects.h"
#include "python/pystr.h"
#include "python/python_target.h"
#include "process/target_mem.h"

/* Sanity bound of a Python class's instances: far above any real one. */
#define MAX_INSTANCE_SIZE 4096
/* Ints read are at most two 30-bit digits. */
#define SMALL_INT_DIGITS 2
#define DIGIT_BITS 30

_Static_assert(SMALL_INT_DIGITS * DIGIT_BITS <= 63, "a small int fits a uint64_t");

void py_objects_init(struct py_objects *o, const struct python_target *t)
{
	memset(o, 0, sizeof(*o));
	o->pid = t->pid;
	o->L = &t->layout;
	o->O = &t->layout.objects;
}

uint64_t py_type_of(const struct py_objects *o, uint64_t obj)
{
	uint64_t type;

	return obj && !target_read_u64(o->pid, obj + o->L->object_type, &type) ? type : 0;
}

bool py_type_named(const struct py_objects *o, uint64_t type, const char *name)
{
	char text[PY_TYPE_NAME_MAX];
	size_t len = strlen(name) + 1;
	uint64_t tp_name;

	return type && len <= sizeof(text) &&
	       !target_read_u64(o->pid, type + o->O->instance.type_name, &tp_name) &&
	       !target_read(o->pid, tp_name, text, len) && !memcmp(text, name, len);
}

bool py_type_is(const struct py_objects *o, uint64_t type, const char *name, uint64_t *seen)
{
	if (!type)
		return false;
	if (*seen)
		return type == *seen;
	if (!py_type_named(o, type, name))
		return false;
	*seen = type;
	return true;
}

bool py_has_type(const struct py_objects *o, uint64_t obj, const char *name, uint64_t *seen)
{
	return py_type_is(o, py_type_of(o, obj), name, seen);
}

int py_read_small_int(struct py_objects *o, uint64_t obj, uint64_t *value)
{
	const struct py_long_layout *I = &o->O->ints;
	uint8_t buf[96];
	size_t len = I->digits + SMALL_INT_DIGITS * sizeof(uint32_t);

	if (len > sizeof(buf) || !py_has_type(o, obj, "int", &o->int_type) ||
	    target_read(o->pid, obj, buf, len))
		return -EINVAL;
	return py_small_int_parse(I, buf, len, value);
}

int py_small_int_parse(const struct py_long_layout *I, const uint8_t *obj, size_t len, uint64_t *value)
{
	uint32_t digit[SMALL_INT_DIGITS];
	uint64_t ndigits;
	int64_t size;

	if (I->digits < I->size + 8 || I->digits + sizeof(digit) > len)
		return -EINVAL;
	memcpy(&size, obj + I->size, sizeof(size));
	memcpy(digit, obj + I->digits, sizeof(digit));
	if (I->lv_tag) {
		/* The low two bits: 0 positive, 1 zero, 2 negative. */
		if ((size & 3) == 2 || (size & 3) == 3)
			return -EINVAL;
		ndigits = (size & 3) == 1 ? 0 : (uint64_t)size >> 3;
	} else {
		if (size < 0)
			return -EINVAL;
		ndigits = (uint64_t)size;
	}
	if (ndigits > SMALL_INT_DIGITS)
		return -EINVAL;
	*value = ndigits > 0 ? digit[0] : 0;
	if (ndigits > 1)
		*value |= (uint64_t)digit[1] << DIGIT_BITS;
	return 0;
}

/* TYPE's tp_basicsize: past the object's header, within an instance's plausible size. */
int py_type_basicsize(const struct py_objects *o, uint64_t type, uint64_t *size)
{
	int64_t basicsize;
	int err = target_read(o->pid, type + o->O->instance.type_basicsize, &basicsize, sizeof(basicsize));

	if (!err && (basicsize < (int64_t)o->L->object_type + 8 || basicsize > MAX_INSTANCE_SIZE))
		err = -EINVAL;
	if (!err)
		*size = (uint64_t)basicsize;
	return err;
}

/* 3.13: OBJ's values inline after it, unless they moved into a dict (0 then). */
static int inline_values(const struct py_objects *o, uint64_t obj, uint64_t type, uint64_t *values)
{
	uint64_t offset;
	uint8_t valid;
	int err = py_type_basicsize(o, type, &offset);

	if (!err)
		err = target_read(o->pid, obj + offset + o->O->instance.inline_values_valid, &valid, 1);
	if (!err)
		*values = valid ? obj + offset : 0;
	return err;
}

/* Up to 3.10: the dict at the type's tp_dictoffset. */
static int dict_at_offset(const struct py_objects *o, uint64_t obj, uint64_t type, uint64_t *dict)
{
	int64_t offset;
	int err = target_read(o->pid, type + o->O->instance.type_dictoffset, &offset, sizeof(offset));

	/* <= 0: no dict, or one counted from the end of a variable-size object. */
	if (!err && (offset <= 0 || offset > MAX_INSTANCE_SIZE))
		err = -EINVAL;
	if (!err)
		err = target_read_u64(o->pid, obj + offset, dict);
	return err;
}

/*
 * The attributes are in a dict at tp_dictoffset, or (3.11+, types with
 * Py_TPFLAGS_MANAGED_DICT) a managed dict, else values the type's cached keys describe, before the object
 * (3.11, 3.12) or inline after it (3.13).
 */
int py_for_each_attribute(struct py_objects *o, uint64_t obj, py_dict_item_fn fn, void *ctx)
{
	const struct py_instance_layout *I = &o->O->instance;
	const struct py_dict_layout *D = &o->O->dict;
	uint64_t type, flags, slot = 0, values = 0, keys;
	int err = target_read_u64(o->pid, obj + o->L->object_type, &type);

	if (!err && I->managed_dict_flag)
		err = target_read_u64(o->pid, type + I->type_flags, &flags);
	/* Up to 3.10, and a subclass of a C type with a dict of its own (asyncio's Future). */
	if (!err && (!I->managed_dict_flag || !(flags & I->managed_dict_flag))) {
		err = dict_at_offset(o, obj, type, &slot);
		if (err)
			return err;
		return slot ? py_dict_for_each(o->pid, D, slot, fn, ctx) : -ENOENT;
	}
	if (!err)
		err = target_read_u64(o->pid, obj + I->managed_dict, &slot);
	if (err)
		return err;
	if (I->values_tag && (slot & I->values_tag))
		values = slot + I->values_tag;
	else if (slot)
		return py_dict_for_each(o->pid, D, slot, fn, ctx);
	else if (I->managed_values)
		err = target_read_u64(o->pid, obj + I->managed_values, &values);
	else if (I->inline_values_flag && (flags & I->inline_values_flag))
		err = inline_values(o, obj, type, &values);
	if (!err && !values)
		err = -ENOENT;
	if (!err)
		err = target_read_u64(o->pid, type + I->heaptype_cached_keys, &keys);
	if (err)
		return err;
	return keys ? py_dict_table_for_each(o->pid, D, keys, values, fn, ctx) : -EINVAL;
}

struct lookup {
	const struct py_objects *o;
	const char *key;
	uint64_t value;
};

static int match_key(void *ctx, uint64_t key, uint64_t value)
{
	struct lookup *l = ctx;

	if (pystr_equals(l->o->pid, l->o->L, key, l->key) != 1)
		return 0;
	l->value = value;
	return 1;
}

/* 0 found (*VALUE set), -ENOENT, or the walk's -errno. */
static int lookup_result(int rc, const struct lookup *l, uint64_t *value)
{
	if (rc < 0)
		return rc;
	if (!rc)
		return -ENOENT;
	*value = l->value;
	return 0;
}

int py_dict_get(struct py_objects *o, uint64_t dict, const char *key, uint64_t *value)
{
	struct lookup l = { .o = o, .key = key };

	return lookup_result(py_dict_for_each(o->pid, &o->O->dict, dict, match_key, &l), &l, value);
}

int py_attribute_get(struct py_objects *o, uint64_t obj, const char *name, uint64_t *value)
{
	struct lookup l = { .o = o, .key = name };

	return lookup_result(py_for_each_attribute(o, obj, match_key, &l), &l, value);
}

int py_shared_key_index(struct py_objects *o, uint64_t type, const char *name, uint64_t *index)
{
	struct lookup l = { .o = o, .key = name };
	uint64_t keys;
	int err = target_read_u64(o->pid, type + o->O->instance.heaptype_cached_keys, &keys);

	if (!err && !keys)
		err = -ENOENT;
	if (err)
		return err;
	return lookup_result(py_dict_keys_for_each(o->pid, &o->O->dict, keys, match_key, &l), &l, index);
}

int py_module_globals(struct py_objects *o, uint64_t interp, const char *module, uint64_t *globals)
{
	uint64_t modules, mod;
	int err = target_read_u64(o->pid, interp + o->O->interp_modules, &modules);

	if (!err && !modules)
		err = -ENOENT;	/* still starting, or finalized */
	if (!err)
		err = py_dict_get(o, modules, module, &mod);
	if (!err)
		err = target_read_u64(o->pid, mod + o->O->module_dict, globals);
	if (!err && !*globals)
		err = -EINVAL;
	return err;
}
