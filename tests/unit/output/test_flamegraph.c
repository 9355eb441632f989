// SPDX-License-Identifier: BSD-3-Clause
/* user/profile/flame_tree.h and user/output/flamegraph.h: the merged tree, its layout, and the SVG's text. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capture.h"
#include "profile/flame_tree.h"
#include "output/flame_svg.h"
#include "output/flamegraph.h"

static void check_xml(const char *in, size_t max, const char *want)
{
	struct capture c;
	char *got;

	xml_write_text(capture_begin(&c), in, max);
	got = capture_end(&c, NULL);

	cr_assert_str_eq(got, want, "for \"%s\"", in);
	free(got);
}

Test(flamegraph, xml_text_is_escaped_and_valid)
{
	check_xml("a<b>&\"c\"", SIZE_MAX, "a&lt;b&gt;&amp;&quot;c&quot;");
	check_xml("tab\tnl\n", SIZE_MAX, "tab\tnl\n");
	check_xml("bell\x07" "esc\x1b", SIZE_MAX, "bell\xef\xbf\xbd" "esc\xef\xbf\xbd");
	check_xml("nul\xc0\x80", SIZE_MAX, "nul\xef\xbf\xbd\xef\xbf\xbd");
	check_xml("\xef\xbf\xbf", SIZE_MAX, "\xef\xbf\xbd");	/* U+FFFF is no XML character */
	check_xml("\xf0\x9f\x98\x80 ok", SIZE_MAX, "\xf0\x9f\x98\x80 ok");
	/* Cut by characters, never inside one or inside an escape. */
	check_xml("\xe5\x87\xbd\xe6\x95\xb0&x", 2, "\xe5\x87\xbd\xe6\x95\xb0");
	check_xml("\xe5\x87\xbd\xe6\x95\xb0&x", 3, "\xe5\x87\xbd\xe6\x95\xb0&amp;");
	check_xml("abc", 0, "");
}

/* Two threads; the second has a stack the first also has. */
static void fill(struct profile *p)
{
	profile_init(p, 1000);
	size_t proc = profile_process(p, 9, "py", "3.11.7");
	struct prof_thread *t1 = profile_thread(p, proc, 9, "main");
	struct prof_thread *t2 = profile_thread(p, proc, 10, "w");
	uint32_t m = profile_frame(p, "main", "a.py", 1), z = profile_frame(p, "zeta", "a.py", 2);
	uint32_t a = profile_frame(p, "alpha", "a.py", 3), tiny = profile_frame(p, "t<iny>", "a.py", 4);
	const uint32_t mz[] = { m, z }, ma[] = { m, a }, mat[] = { m, a, tiny };

	cr_assert_eq(profile_add(p, t1, mz, 2, 30000), 0);
	cr_assert_eq(profile_add(p, t1, ma, 2, 10000), 0);
	cr_assert_eq(profile_add(p, t1, mat, 3, 1), 0);	/* under 0.1 px of 1180 */
	cr_assert_eq(profile_add(p, t1, mz, 1, 5000), 0);	/* main's own samples */
	cr_assert_eq(profile_add(p, t2, mz, 2, 4999), 0);
}

static const struct flame_node *child_named(const struct flame_tree *tree, uint32_t parent,
					    const char *label)
{
	for (uint32_t c = tree->nodes[parent].first_child; c != FLAME_NONE; c = tree->nodes[c].next_sibling)
		if (!strcmp(tree->nodes[c].label, label))
			return &tree->nodes[c];
	cr_assert_fail("no child %s of %s", label, tree->nodes[parent].label);
	return NULL;
}

Test(flamegraph, tree_merges_stacks_and_orders_siblings)
{
	struct profile p;
	struct flame_tree tree;

	fill(&p);
	cr_assert_eq(flame_tree_build(&tree, &p), 0);
	cr_assert_str_eq(tree.nodes[0].label, "all");
	cr_assert_eq(tree.nodes[0].samples, 50000);
	cr_assert_eq(tree.max_depth, 4);
	const struct flame_node *t1 = child_named(&tree, 0, "py [pid 9, Python 3.11.7] thread 9 (main)");
	const struct flame_node *t2 = child_named(&tree, 0, "py [pid 9, Python 3.11.7] thread 10 (w)");

	cr_assert_eq(t1->samples, 45001);
	cr_assert_eq(t2->samples, 4999);
	/* Labels sort as text: "thread 10" comes before "thread 9". */
	cr_assert_eq(t2->offset, 0);
	cr_assert_eq(t1->offset, 4999);
	uint32_t main1 = t1->first_child;
	const struct flame_node *alpha = child_named(&tree, main1, "alpha (a.py:3)");
	const struct flame_node *zeta = child_named(&tree, main1, "zeta (a.py:2)");

	cr_assert_eq(tree.nodes[main1].samples, 45001);
	cr_assert_eq(tree.nodes[main1].depth, 2);
	cr_assert_eq(alpha->samples, 10001);
	cr_assert_eq(zeta->samples, 30000);
	cr_assert_eq(tree.nodes[main1].first_child, (uint32_t)(alpha - tree.nodes), "alphabetical");
	cr_assert_eq(alpha->offset, tree.nodes[main1].offset);
	cr_assert_eq(zeta->offset, alpha->offset + alpha->samples);
	flame_tree_free(&tree);
	profile_free(&p);
}

Test(flamegraph, svg_frames_titles_and_tiny_frames_left_out)
{
	struct profile p;

	fill(&p);
	char *svg = capture(flamegraph_write, &p, "a <title>", NULL);

	cr_assert(!strncmp(svg, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n<svg ", 60));
	cr_assert_not_null(strstr(svg, "<script type=\"text/ecmascript\"><![CDATA[\n"));
	cr_assert_not_null(strstr(svg, ">a &lt;title&gt;</text>"));
	cr_assert_not_null(strstr(svg, "<title>all\n50000 samples, 100.00%</title>"));
	cr_assert_not_null(strstr(svg, "<title>zeta (a.py:2)\n30000 samples, 60.00%</title>"));
	cr_assert_not_null(strstr(svg, "<title>alpha (a.py:3)\n10001 samples, 20.00%</title>"));
	cr_assert_null(strstr(svg, "t&lt;iny"), "a frame 0.02 px wide is left out");
	cr_assert_str_eq(svg + strlen(svg) - strlen("</g>\n</svg>\n"), "</g>\n</svg>\n");

	char *again = capture(flamegraph_write, &p, "a <title>", NULL);

	cr_assert_str_eq(svg, again, "the same profile gives the same bytes");
	free(svg);
	free(again);
	profile_free(&p);
}

Test(flamegraph, empty_profile)
{
	struct profile p;

	profile_init(&p, 1);
	char *svg = capture(flamegraph_write, &p, "", NULL);

	cr_assert_not_null(strstr(svg, "<title>all\n0 samples, 0.00%</title>"));
	cr_assert_null(strstr(svg, "nan"));
	free(svg);
	profile_free(&p);
}
