#pragma once

/* Small json-c helpers: cleanup, and typed lookups that treat a wrong type as absent. */

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

static inline void json_object_putp(json_object **o)
{
	json_object_put(*o);
}

#define _cleanup_json_ __attribute__((cleanup(json_object_putp)))

/* The member key of o if it is an object of that type, else NULL. */
static inline json_object *json_get(json_object *o, const char *key, enum json_type type)
{
	json_object *v = NULL;

	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

/* The string member key of o, or NULL when absent, null or not a string. */
static inline const char *json_get_string(json_object *o, const char *key)
{
	json_object *v = json_get(o, key, json_type_string);

	return v ? json_object_get_string(v) : NULL;
}

/* The boolean member key of o; def when absent or not a boolean. */
static inline bool json_get_bool(json_object *o, const char *key, bool def)
{
	json_object *v = json_get(o, key, json_type_boolean);

	return v ? json_object_get_boolean(v) : def;
}
