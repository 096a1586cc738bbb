/* Root device hints and selection, as IPA and ironic-lib do them: see hints.h. */

#define _GNU_SOURCE 1 /* vasprintf(), open_memstream() */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/hints.h"
#include "basic/macro.h"

enum hint_type { HINT_INT, HINT_STR, HINT_BOOL };

/* IPA's VALID_ROOT_DEVICE_HINTS, in its order; offset of the disk's string for HINT_STR. */
static const struct {
	const char *name;
	enum hint_type type;
	size_t offset;
} hint_table[] = {
    {"size", HINT_INT, 0},
    {"model", HINT_STR, offsetof(struct disk, model)},
    {"wwn", HINT_STR, offsetof(struct disk, wwn)},
    {"serial", HINT_STR, offsetof(struct disk, serial)},
    {"vendor", HINT_STR, offsetof(struct disk, vendor)},
    {"wwn_with_extension", HINT_STR, offsetof(struct disk, wwn_with_extension)},
    {"wwn_vendor_extension", HINT_STR, offsetof(struct disk, wwn_vendor_extension)},
    {"name", HINT_STR, offsetof(struct disk, path)},
    {"rotational", HINT_BOOL, 0},
    {"hctl", HINT_STR, offsetof(struct disk, hctl)},
    {"by_path", HINT_STR, offsetof(struct disk, by_path)},
    {"tran", HINT_STR, offsetof(struct disk, tran)},
};

struct root_hint {
	size_t kind;  /* index in hint_table */
	char *spec;   /* specs_matcher expression (HINT_INT, HINT_STR) */
	bool value;   /* HINT_BOOL */
	char *origin; /* str() of the JSON value, for messages */
};

struct root_hints {
	size_t n;
	struct root_hint h[ELEMENTSOF(hint_table)];
};

static int fail(char **ret_error, int r, const char *fmt, ...) _printf_(3, 4);
static int fail(char **ret_error, int r, const char *fmt, ...)
{
	va_list ap;

	if (!ret_error)
		return r;
	va_start(ap, fmt);
	if (vasprintf(ret_error, fmt, ap) < 0) {
		*ret_error = NULL;
		r = -ENOMEM;
	}
	va_end(ap);
	return r;
}

/* --- Python's rendering of JSON values ----------------------------------------------------- */

static void py_float(FILE *f, double v)
{
	char buf[64];
	int p, e;

	if (isnan(v) || isinf(v)) {
		fputs(isnan(v) ? "nan" : v < 0 ? "-inf" : "inf", f);
		return;
	}
	for (p = 1; p < 17; p++) { /* repr(): the shortest digits that round-trip */
		snprintf(buf, sizeof(buf), "%.*e", p - 1, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	snprintf(buf, sizeof(buf), "%.*e", p - 1, v);
	e = atoi(strchr(buf, 'e') + 1);
	if (e < -4 || e >= 16)
		fputs(buf, f);
	else
		fprintf(f, "%.*f%s", p - 1 - e > 0 ? p - 1 - e : 0, v, p - 1 - e > 0 ? "" : ".0");
}

static void py_repr(FILE *f, json_object *o, bool top_str);

static void py_repr_str(FILE *f, const char *s)
{
	char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';

	fputc(q, f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\\' || c == (unsigned char)q)
			fprintf(f, "\\%c", c);
		else if (c == '\n' || c == '\r' || c == '\t')
			fprintf(f, "\\%c", c == '\n' ? 'n' : c == '\r' ? 'r' : 't');
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc(q, f);
}

/* str() when top_str (a string is its text), else repr(). */
static void py_repr(FILE *f, json_object *o, bool top_str)
{
	size_t i = 0;

	switch (json_object_get_type(o)) {
	case json_type_null:
		fputs("None", f);
		break;
	case json_type_boolean:
		fputs(json_object_get_boolean(o) ? "True" : "False", f);
		break;
	case json_type_int:
		fprintf(f, "%" PRId64, json_object_get_int64(o));
		break;
	case json_type_double:
		py_float(f, json_object_get_double(o));
		break;
	case json_type_string:
		if (top_str)
			fputs(json_object_get_string(o), f);
		else
			py_repr_str(f, json_object_get_string(o));
		break;
	case json_type_array:
		fputc('[', f);
		for (i = 0; i < json_object_array_length(o); i++) {
			fputs(i ? ", " : "", f);
			py_repr(f, json_object_array_get_idx(o, i), false);
		}
		fputc(']', f);
		break;
	case json_type_object: {
		fputc('{', f);
		json_object_object_foreach(o, k, v)
		{
			fputs(i++ ? ", " : "", f);
			py_repr_str(f, k);
			fputs(": ", f);
			py_repr(f, v, false);
		}
		fputc('}', f);
		break;
	}
	}
}

static char *py_text(json_object *o, bool top_str)
{
	char *s = NULL;
	size_t len;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	py_repr(f, o, top_str);
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

/* Python truth of a JSON value. */
static bool py_true(json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_null:
		return false;
	case json_type_object:
		return json_object_object_length(o) > 0;
	case json_type_array:
		return json_object_array_length(o) > 0;
	case json_type_string:
		return json_object_get_string_len(o) > 0;
	default:
		return json_object_get_boolean(o);
	}
}

/* --- specs_matcher's grammar ---------------------------------------------------------------- */

/* Order matters, as in make_grammar(): "==" before "=", "<in>" before "<", "s<=" before "s<". */
static const char *const unary_ops[] = {"==", "=",   "!=",  "<in>", ">=", "<=",	 ">",
					"<",  "s==", "s!=", "s<=",  "s<", "s>=", "s>"};
static const char *const other_ops[] = {"<all-in>", "<or>", "<range-in>"};

struct spec {
	const char *op; /* NULL: a bare atom */
	size_t n;
	const char *atom[ROOT_HINT_VALUES_MAX];
	size_t len[ROOT_HINT_VALUES_MAX];
};

static const char *skip_ws(const char *p) /* pyparsing's default whitespace */
{
	while (*p && strchr(" \t\n\r", *p))
		p++;
	return p;
}

static bool is_space(char c) /* Python's str.isspace() and re's \s, ASCII part */
{
	return c && (strchr(" \t\n\r\f\v", c) || (c >= 0x1c && c <= 0x1f));
}

static const char *literal(const char *p, const char *kw)
{
	p = skip_ws(p);
	return strncmp(p, kw, strlen(kw)) == 0 ? p + strlen(kw) : NULL;
}

/* atom = ~(any operator) + Regex(r"\S+"); pushes it on sp. */
static const char *atom(const char *p, struct spec *sp)
{
	size_t len = 0;

	p = skip_ws(p);
	for (size_t i = 0; i < ELEMENTSOF(unary_ops); i++)
		if (strncmp(p, unary_ops[i], strlen(unary_ops[i])) == 0)
			return NULL;
	for (size_t i = 0; i < ELEMENTSOF(other_ops); i++)
		if (strncmp(p, other_ops[i], strlen(other_ops[i])) == 0)
			return NULL;
	while (p[len] && !is_space(p[len]))
		len++;
	if (len == 0 || sp->n == ROOT_HINT_VALUES_MAX)
		return NULL;
	sp->atom[sp->n] = p;
	sp->len[sp->n++] = len;
	return p + len;
}

/* expr = disjunction | nary | range_op | unary | atom, parsed from the start of s. */
static int spec_parse(const char *s, struct spec *sp)
{
	const char *p = s, *q;

	*sp = (struct spec){.op = "<or>"};
	while ((q = literal(p, "<or>")) && (q = atom(q, sp)))
		p = q;
	if (sp->n > 0)
		return 0;
	if ((p = literal(s, "<all-in>"))) {
		*sp = (struct spec){.op = "<all-in>"};
		while ((q = atom(p, sp)))
			p = q;
		if (sp->n > 0)
			return 0;
	}
	if ((p = literal(s, "<range-in>"))) {
		*sp = (struct spec){.op = "<range-in>"};
		while (sp->n < 4 && (q = atom(p, sp)))
			p = q;
		if (sp->n == 4)
			return 0;
	}
	for (size_t i = 0; i < ELEMENTSOF(unary_ops); i++)
		if ((p = literal(s, unary_ops[i]))) {
			*sp = (struct spec){.op = unary_ops[i]};
			if (atom(p, sp))
				return 0;
			break; /* MatchFirst does not try the next operator */
		}
	*sp = (struct spec){.op = NULL};
	return atom(s, sp) ? 0 : -EINVAL;
}

/* --- ironic-lib's normalisation -------------------------------------------------------------- */

static void quote(FILE *f, const char *s, size_t len) /* urllib.parse.quote(s, safe='/') */
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x80 && isalnum(c)) || strchr("_.-~/", c))
			fputc(c, f);
		else
			fprintf(f, "%%%02X", c);
	}
}

static void strip_range(const char **s, size_t *len)
{
	while (*len > 0 && is_space(**s))
		(*s)++, (*len)--;
	while (*len > 0 && is_space((*s)[*len - 1]))
		(*len)--;
}

/*
 * _extract_hint_operator_and_values(): the stripped, lower-cased expression into *ret_expr,
 * its operator (NULL: none) and its values as (pointer, length) into *ret_expr.
 */
static int extract(const char *in, const char *name, char **ret_expr, const char **ret_op,
		   struct spec *values, char **ret_error)
{
	const char *s = in, *p;
	size_t len = strlen(in);
	struct spec sp;
	char *e;

	if (len > ROOT_HINT_EXPR_MAX)
		return fail(ret_error, -EINVAL, "Root device hint \"%s\" expression is too long",
			    name);
	strip_range(&s, &len);
	if (len == 0)
		return fail(ret_error, -EINVAL, "Root device hint \"%s\" expression is empty",
			    name);
	e = strndup(s, len);
	if (!e)
		return -ENOMEM;
	for (char *c = e; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	if (spec_parse(e, &sp) < 0) {
		free(e);
		return fail(ret_error, -EINVAL,
			    "Root device hint \"%s\" expression \"%s\" cannot be parsed", name, in);
	}
	*values = (struct spec){.op = sp.op};
	if (!sp.op) {
		values->atom[0] = e;
		values->len[values->n++] = strlen(e);
	} else /* re.split(op, expression), empty pieces dropped, the others stripped */
		for (p = e; *p;) {
			const char *next = strstr(p, sp.op), *a = p;
			size_t n = next ? (size_t)(next - p) : strlen(p), l = n;

			if (n > 0) {
				if (values->n == ROOT_HINT_VALUES_MAX) {
					free(e);
					return fail(ret_error, -EINVAL,
						    "Root device hint \"%s\" has too many values",
						    name);
				}
				strip_range(&a, &l);
				values->atom[values->n] = a;
				values->len[values->n++] = l;
			}
			p = next ? next + strlen(sp.op) : p + n;
		}
	*ret_expr = e;
	*ret_op = sp.op;
	return 0;
}

/* _normalize_hint_expression(): op + op.join(' %s ' % quote(v)), stripped. */
static int normalize(const char *in, const char *name, char **ret, char **ret_error)
{
	_cleanup_free_ char *e = NULL;
	const char *op;
	struct spec v;
	char *s = NULL, *t;
	size_t len;
	FILE *f;
	int r;

	r = extract(in, name, &e, &op, &v, ret_error);
	if (r < 0)
		return r;
	f = open_memstream(&s, &len);
	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < v.n; i++) {
		fprintf(f, "%s ", op ? op : "");
		quote(f, v.atom[i], v.len[i]);
		fputc(' ', f);
	}
	if (fclose(f) != 0) {
		free(s);
		return -ENOMEM;
	}
	t = s + len;
	while (t > s && t[-1] == ' ')
		*--t = '\0';
	memmove(s, s + (s[0] == ' '), strlen(s) + 1 - (s[0] == ' '));
	*ret = s;
	return 0;
}

/* _append_operator_to_hints(): prefix "s== " or "== " to an expression without operator. */
static int append_operator(char **spec, const char *op, char **ret_error)
{
	struct spec sp;
	char *s;

	if (spec_parse(*spec, &sp) < 0)
		return fail(ret_error, -EINVAL,
			    "root device hint expression \"%s\" cannot be parsed", *spec);
	if (sp.op)
		return 0;
	if (asprintf(&s, "%s %s", op, *spec) < 0)
		return -ENOMEM;
	free(*spec);
	*spec = s;
	return 0;
}

/* Python int(v) > 0: 1, int(v) <= 0: 0, not an int: -EINVAL. */
static int py_int_sign(const char *v, size_t len)
{
	bool neg = false, nonzero = false, digit = false;
	size_t i = 0;

	if (i < len && (v[i] == '+' || v[i] == '-'))
		neg = v[i++] == '-';
	for (; i < len; i++) {
		if (v[i] == '_' && digit && i + 1 < len && isdigit((unsigned char)v[i + 1]))
			continue;
		if (!isdigit((unsigned char)v[i]))
			return -EINVAL;
		digit = true;
		nonzero |= v[i] != '0';
	}
	if (!digit)
		return -EINVAL;
	return nonzero && !neg;
}

/* --- parse_root_device_hints() --------------------------------------------------------------- */

struct root_hints *root_hints_free(struct root_hints *h)
{
	for (size_t i = 0; h && i < h->n; i++) {
		free(h->h[i].spec);
		free(h->h[i].origin);
	}
	free(h);
	return NULL;
}

void root_hints_freep(struct root_hints **h)
{
	root_hints_free(*h);
}

static int parse_one(struct root_hint *h, json_object *v, char **ret_error)
{
	static const char *const truths[] = {"1", "t", "true", "on", "y", "yes"};
	static const char *const falsehoods[] = {"0", "f", "false", "off", "n", "no"};
	const char *name = hint_table[h->kind].name;
	_cleanup_free_ char *e = NULL;
	const char *op, *s;
	struct spec vals;
	size_t len;
	int r;

	h->origin = py_text(v, true);
	if (!h->origin)
		return -ENOMEM;

	switch (hint_table[h->kind].type) {
	case HINT_STR:
		if (!json_object_is_type(v, json_type_string))
			return fail(
			    ret_error, -EINVAL,
			    "Root device hint \"%s\" is not a string value. Hint expression: %s",
			    name, h->origin);
		r = normalize(h->origin, name, &h->spec, ret_error);
		return r < 0 ? r : append_operator(&h->spec, "s==", ret_error);
	case HINT_INT:
		r = extract(h->origin, name, &e, &op, &vals, ret_error);
		if (r < 0)
			return r;
		for (size_t i = 0; i < vals.n; i++) {
			r = py_int_sign(vals.atom[i], vals.len[i]);
			if (r < 0)
				return fail(ret_error, -EINVAL,
					    "Root device hint \"%s\" is not an integer value. "
					    "Current value: %s",
					    name, h->origin);
			if (r == 0)
				return fail(ret_error, -EINVAL,
					    "Root device hint \"%s\" should be a positive integer. "
					    "Current value: %s",
					    name, h->origin);
		}
		/* IPA keeps the expression as given (neither stripped nor lower-cased) */
		h->spec = strdup(h->origin);
		return h->spec ? append_operator(&h->spec, "==", ret_error) : -ENOMEM;
	case HINT_BOOL:
		if (json_object_is_type(v, json_type_boolean)) {
			h->value = json_object_get_boolean(v);
			return 0;
		}
		s = h->origin;
		len = strlen(s);
		strip_range(&s, &len);
		for (size_t i = 0; i < ELEMENTSOF(truths); i++) {
			if (strlen(truths[i]) == len && strncasecmp(s, truths[i], len) == 0) {
				h->value = true;
				return 0;
			}
			if (strlen(falsehoods[i]) == len &&
			    strncasecmp(s, falsehoods[i], len) == 0) {
				h->value = false;
				return 0;
			}
		}
		return fail(ret_error, -EINVAL,
			    "Root device hint \"%s\" is not a Boolean value. Current value: %s",
			    name, h->origin);
	}
	return -EINVAL;
}

int root_hints_parse(json_object *root_device, struct root_hints **ret, char **ret_error)
{
	_cleanup_root_hints_ struct root_hints *h = NULL;
	_cleanup_free_ char *invalid = NULL, *valid = NULL;
	size_t len, n_invalid = 0;
	FILE *f;
	int r;

	*ret = NULL;
	if (!py_true(root_device))
		return 0;

	/* the invalid names, in the object's order (IPA: a set's), then the valid ones */
	f = open_memstream(&invalid, &len);
	if (!f)
		return -ENOMEM;
	if (json_object_is_type(root_device, json_type_object)) {
		json_object_object_foreach(root_device, k, v)
		{
			size_t i = 0;

			(void)v;
			while (i < ELEMENTSOF(hint_table) && strcmp(hint_table[i].name, k) != 0)
				i++;
			if (i == ELEMENTSOF(hint_table))
				fprintf(f, "%s%s", n_invalid++ > 0 ? ", " : "", k);
		}
	} else {
		py_repr(f, root_device, true);
		n_invalid++;
	}
	if (fclose(f) != 0)
		return -ENOMEM;
	/* Counted, not tested as text: an empty name is invalid too (fuzz-json-params). */
	if (n_invalid > 0) {
		f = open_memstream(&valid, &len);
		if (!f)
			return -ENOMEM;
		for (size_t i = 0; i < ELEMENTSOF(hint_table); i++)
			fprintf(f, "%s%s", i ? ", " : "", hint_table[i].name);
		if (fclose(f) != 0)
			return -ENOMEM;
		return fail(ret_error, -EINVAL,
			    "The hints \"%s\" are invalid. Valid hints are: \"%s\"", invalid,
			    valid);
	}

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	json_object_object_foreach(root_device, k, v)
	{
		struct root_hint *hint = &h->h[h->n++];

		while (hint->kind + 1 < ELEMENTSOF(hint_table) &&
		       strcmp(hint_table[hint->kind].name, k) != 0)
			hint->kind++;
		r = parse_one(hint, v, ret_error);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(h);
	return 0;
}

/* --- specs_matcher.match() ------------------------------------------------------------------- */

/* Python float() of a string: decimal, optional exponent, inf/infinity/nan, '_' in digits. */
static int py_parse_float(const char *s, size_t len, double *ret)
{
	char buf[128], *end;
	size_t n = 0;

	strip_range(&s, &len);
	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '_' && i > 0 && isdigit((unsigned char)s[i - 1]) && i + 1 < len &&
		    isdigit((unsigned char)s[i + 1]))
			continue;
		if (!strchr("0123456789.eE+-infatyINFATY", s[i]))
			return -EINVAL;
		buf[n++] = s[i];
	}
	buf[n] = '\0';
	errno = 0;
	*ret = strtod(buf, &end);
	return *end || end == buf ? -EINVAL : 0;
}

static int cmp_mem(const char *a, const char *b, size_t blen)
{
	size_t alen = strlen(a);
	int c = memcmp(a, b, MIN(alen, blen));

	return c != 0 ? c : alen < blen ? -1 : alen > blen ? 1 : 0;
}

/* match(cmp_value, spec): cmp_value is the string x, or the number num when x is NULL. */
static int spec_match(const char *spec, const char *x, double num, char **ret_error)
{
	static const char *const num_ops[] = {"=", "!=", "<=", "<", "==", ">=", ">"};
	static const char *const str_ops[] = {"s!=", "s<", "s<=", "s==", "s>", "s>="};
	struct spec sp;
	double a, b;
	size_t i;
	int c;

	if (spec_parse(spec, &sp) < 0) /* match() compares with the whole spec */
		return x && strcmp(x, spec) == 0;
	if (!sp.op)
		return x && cmp_mem(x, sp.atom[0], sp.len[0]) == 0;

	for (i = 0; i < ELEMENTSOF(num_ops); i++)
		if (strcmp(sp.op, num_ops[i]) == 0)
			break;
	if (i < ELEMENTSOF(num_ops)) {
		a = num;
		if (x && py_parse_float(x, strlen(x), &a) < 0)
			return fail(ret_error, -EINVAL, "could not convert string to float: '%s'",
				    x);
		if (py_parse_float(sp.atom[0], sp.len[0], &b) < 0)
			return fail(ret_error, -EINVAL, "could not convert string to float: '%.*s'",
				    (int)sp.len[0], sp.atom[0]);
		switch (i) {
		case 0:
		case 5:
			return a >= b;
		case 1:
			return a != b;
		case 2:
			return a <= b;
		case 3:
			return a < b;
		case 4:
			return a == b;
		default:
			return a > b;
		}
	}
	for (i = 0; i < ELEMENTSOF(str_ops); i++)
		if (strcmp(sp.op, str_ops[i]) == 0)
			break;
	if (i < ELEMENTSOF(str_ops)) {
		if (!x && i > 0 && i != 3)
			return fail(ret_error, -EINVAL,
				    "'%s' not supported between instances of 'float' and 'str'",
				    sp.op + 1);
		if (!x)
			return i == 0; /* float != str */
		c = cmp_mem(x, sp.atom[0], sp.len[0]);
		int res[] = {c != 0, c<0, c <= 0, c == 0, c> 0, c >= 0};
		return res[i];
	}
	if (strcmp(sp.op, "<in>") == 0) {
		if (!x)
			return fail(ret_error, -EINVAL, "argument of type 'float' is not iterable");
		return memmem(x, strlen(x), sp.atom[0], sp.len[0]) != NULL;
	}
	if (strcmp(sp.op, "<or>") == 0) {
		for (i = 0; x && i < sp.n; i++)
			if (cmp_mem(x, sp.atom[i], sp.len[i]) == 0)
				return 1;
		return 0;
	}
	return fail(ret_error, -EINVAL, "%s must compare with a list literal or a range",
		    sp.op); /* <all-in>, <range-in>: literal_eval() of a quoted value fails */
}

int root_hints_match(const struct root_hints *h, const struct disk *d, char **ret_error)
{
	for (size_t i = 0; h && i < h->n; i++) {
		const struct root_hint *hint = &h->h[i];
		_cleanup_free_ char *value = NULL;
		const char *raw;
		int r;

		switch (hint_table[hint->kind].type) {
		case HINT_BOOL:
			r = d->rotational == hint->value;
			break;
		case HINT_INT:
			r = spec_match(hint->spec, NULL, (double)d->size / (double)(1ULL << 30),
				       ret_error);
			break;
		case HINT_STR:
			raw = *(char *const *)((const char *)d + hint_table[hint->kind].offset);
			/* str(None) is "None"; a blank value skips the device */
			r = normalize(raw ? raw : "None", hint_table[hint->kind].name, &value,
				      NULL);
			if (r == -ENOMEM)
				return r;
			r = r < 0 ? 0 : spec_match(hint->spec, value, 0, ret_error);
			break;
		default:
			r = -EINVAL;
		}
		if (r <= 0)
			return r;
	}
	return 1;
}

/* --- get_os_install_device() ----------------------------------------------------------------- */

int root_hints_select(json_object *root_device, const struct disk *disks, size_t n,
		      const bool *skip, const struct disk **ret, char **ret_error)
{
	_cleanup_root_hints_ struct root_hints *h = NULL;
	_cleanup_free_ char *error = NULL, *repr = NULL;
	const struct disk *best = NULL;
	int r;

	if (!py_true(root_device)) { /* guess_root_disk(): by (size, name), >= 4 GiB */
		for (size_t i = 0; i < n; i++) {
			if ((skip && skip[i]) || disks[i].size < ROOT_HINT_MIN_SIZE)
				continue;
			if (!best || disks[i].size < best->size ||
			    (disks[i].size == best->size && strcmp(disks[i].path, best->path) < 0))
				best = &disks[i];
		}
		if (!best)
			return fail(
			    ret_error, -ENODEV,
			    "No suitable device was found for deployment - root device hints "
			    "were not provided and all found block devices are smaller than "
			    "%lluB.",
			    (unsigned long long)ROOT_HINT_MIN_SIZE);
		*ret = best;
		return 0;
	}

	repr = py_text(root_device, false);
	if (!repr)
		return -ENOMEM;
	r = root_hints_parse(root_device, &h, &error);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		if (skip && skip[i])
			continue;
		r = root_hints_match(h, &disks[i], &error);
		if (r > 0) {
			*ret = &disks[i];
			return 0;
		}
	}
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return fail(ret_error, -ENODEV,
			    "No devices could be found using the root device hints %s because they "
			    "failed to validate. Error: %s",
			    repr, error ? error : "");
	return fail(ret_error, -ENODEV,
		    "No suitable device was found for deployment using these hints %s", repr);
}

json_object *root_hints_from_node(json_object *node)
{
	json_object *o = NULL, *v = NULL;

	if (json_object_object_get_ex(node, "instance_info", &o) &&
	    json_object_object_get_ex(o, "root_device", &v) && py_true(v))
		return v;
	if (json_object_object_get_ex(node, "properties", &o) &&
	    json_object_object_get_ex(o, "root_device", &v))
		return v;
	return NULL;
}

int root_hints_skip_list(json_object *node, const struct disk *disks, size_t n, bool *skip,
			 char **ret_error)
{
	json_object *props = NULL, *list = NULL;

	for (size_t i = 0; i < n; i++)
		skip[i] = false;
	if (!json_object_object_get_ex(node, "properties", &props) ||
	    !json_object_object_get_ex(props, "skip_block_devices", &list) || !py_true(list))
		return 0;
	if (!json_object_is_type(list, json_type_array))
		return fail(ret_error, -EINVAL, "skip_block_devices is not a list");

	for (size_t k = 0; k < json_object_array_length(list); k++) {
		json_object *hint = json_object_array_get_idx(list, k);
		_cleanup_root_hints_ struct root_hints *h = NULL;
		int r;

		if (json_object_is_type(hint, json_type_object) &&
		    json_object_object_get_ex(hint, "volume_name", NULL))
			continue; /* a RAID volume to keep */
		if (!json_object_is_type(hint, json_type_object))
			return fail(ret_error, -EINVAL,
				    "skip_block_devices entry %zu is not an object", k);
		r = root_hints_parse(hint, &h, ret_error);
		if (r < 0)
			return r;
		if (!h) /* IPA iterates over None */
			return fail(ret_error, -EINVAL, "skip_block_devices entry %zu is empty", k);
		for (size_t i = 0; i < n; i++) {
			r = root_hints_match(h, &disks[i], ret_error);
			if (r < 0)
				return r;
			skip[i] |= r > 0;
		}
	}
	return 0;
}

int root_hints_select_for_node(json_object *node, const struct disk *disks, size_t n,
			       const struct disk **ret, char **ret_error)
{
	_cleanup_free_ bool *skip = calloc(n ? n : 1, sizeof(bool));
	int r;

	if (!skip)
		return -ENOMEM;
	r = root_hints_skip_list(node, disks, n, skip, ret_error);
	if (r < 0)
		return r;
	return root_hints_select(root_hints_from_node(node), disks, n, skip, ret, ret_error);
}
