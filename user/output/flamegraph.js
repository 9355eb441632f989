// The pybpf flame graph's behaviour, embedded in the SVG by flamegraph.c:
// click a frame to zoom into it, "Reset Zoom" to go back; "Search" (or
// Ctrl-F) highlights the frames matching a regular expression and says
// what share of the samples they hold; hovering shows a frame's details.
// Coordinates come from the SVG itself, so the file works without this
// script too (plain <title> tooltips).
"use strict";

var FONT_WIDTH = 12 * 0.59;	// average Verdana glyph at 12px, as the C side assumes
var MATCH_FILL = "rgb(230,0,230)";
var nodes = [];
var fullWidth, padding, details, matched, resetButton, searchButton;

function fit(node, width) {
	var chars = Math.floor((width - 6) / FONT_WIDTH);
	var text = Array.from(node.label);

	if (!node.text)
		return;
	if (chars < 3)
		node.text.textContent = "";
	else if (text.length <= chars)
		node.text.textContent = node.label;
	else
		node.text.textContent = text.slice(0, chars - 2).join("") + "..";
}

function place(node, x, width) {
	node.g.classList.remove("hidden");
	node.rect.setAttribute("x", x);
	node.rect.setAttribute("width", width);
	if (node.text)
		node.text.setAttribute("x", x + 3);
	fit(node, width);
}

function hide(node) {
	node.g.classList.add("hidden");
}

// The frames at or above NODE inside its span fill the width; the ones
// below it that span it (its callers) stay, dimmed; the rest go.
function zoom(target) {
	var scale = fullWidth / target.w, eps = 1e-6;

	nodes.forEach(function (node) {
		node.g.classList.remove("parent");
		if (node.y <= target.y) {
			if (node.x >= target.x - eps && node.x + node.w <= target.x + target.w + eps)
				place(node, padding + (node.x - target.x) * scale, node.w * scale);
			else
				hide(node);
		} else if (node.x <= target.x + eps && node.x + node.w >= target.x + target.w - eps) {
			place(node, padding, fullWidth);
			node.g.classList.add("parent");
		} else {
			hide(node);
		}
	});
	resetButton.classList.remove("hidden");
}

function unzoom() {
	nodes.forEach(function (node) {
		node.g.classList.remove("parent");
		place(node, node.x, node.w);
	});
	resetButton.classList.add("hidden");
}

// Matching frames nest (a caller spans its callees): merge their spans
// so no sample counts twice.
function search(term) {
	var re, spans = [], covered = 0, end = -Infinity;

	try {
		re = new RegExp(term);
	} catch (e) {
		matched.textContent = "Bad regular expression: " + e.message;
		return;
	}
	nodes.forEach(function (node) {
		var hit = re.test(node.label);

		node.rect.setAttribute("fill", hit ? MATCH_FILL : node.fill);
		if (hit)
			spans.push([node.x, node.x + node.w]);
	});
	spans.sort(function (a, b) { return a[0] - b[0]; });
	spans.forEach(function (span) {
		if (span[1] > end) {
			covered += span[1] - Math.max(span[0], end);
			end = span[1];
		}
	});
	matched.textContent = "Matched: " + (100 * covered / fullWidth).toFixed(1) + "%";
	searchButton.textContent = "Reset Search";
	searchButton.setAttribute("data-active", "1");
}

function resetSearch() {
	nodes.forEach(function (node) { node.rect.setAttribute("fill", node.fill); });
	matched.textContent = "";
	searchButton.textContent = "Search";
	searchButton.removeAttribute("data-active");
}

function askSearch() {
	if (searchButton.hasAttribute("data-active")) {
		resetSearch();
		return;
	}
	var term = prompt("Search for (regular expression):", "");
	if (term)
		search(term);
}

function init() {
	var all = document.getElementById("frames").getElementsByTagName("g");
	var params = new URLSearchParams(window.location.search);

	details = document.getElementById("details");
	matched = document.getElementById("matched");
	resetButton = document.getElementById("reset");
	searchButton = document.getElementById("search");
	Array.prototype.forEach.call(all, function (g) {
		var title = g.getElementsByTagName("title")[0].textContent;
		var rect = g.getElementsByTagName("rect")[0];
		var node = {
			g: g, rect: rect, text: g.getElementsByTagName("text")[0] || null,
			label: title.slice(0, title.lastIndexOf("\n")),
			info: title.slice(title.lastIndexOf("\n") + 1),
			x: parseFloat(rect.getAttribute("x")), w: parseFloat(rect.getAttribute("width")),
			y: parseFloat(rect.getAttribute("y")), fill: rect.getAttribute("fill"),
		};

		nodes.push(node);
		g.addEventListener("click", function () { zoom(node); });
		g.addEventListener("mouseover", function () {
			details.textContent = node.label + " (" + node.info + ")";
		});
		g.addEventListener("mouseout", function () { details.textContent = " "; });
	});
	fullWidth = nodes[0].w;
	padding = nodes[0].x;
	resetButton.addEventListener("click", unzoom);
	searchButton.addEventListener("click", askSearch);
	window.addEventListener("keydown", function (e) {
		if ((e.ctrlKey && e.key === "f") || e.key === "F3") {
			e.preventDefault();
			askSearch();
		} else if (e.key === "Escape") {
			unzoom();
			resetSearch();
		}
	});
	if (params.get("s"))
		search(params.get("s"));
}

window.addEventListener("load", init);
