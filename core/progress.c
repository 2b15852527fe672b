/* SPDX-License-Identifier: MIT */
/* progress.c: a progress line on terminals (see progress.h). */
#include "core/progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int64_t mf_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void draw(struct mf_progress *p, int64_t now);

void mf_progress_begin(struct mf_progress *p, const char *label,
		       int64_t total_items, int64_t total_bytes, int quiet)
{
	p->label = label;
	p->total_items = total_items;
	p->total_bytes = total_bytes;
	p->items = p->bytes = 0;
	p->start_ms = p->last_ms = mf_now_ms();
	p->tty = isatty(2);
	p->quiet = quiet;
	p->drawn = 0;
	p->ended = 0;
	/* on a terminal the line shows at once, not only after the first 200 ms */
	if (p->tty && !quiet)
		draw(p, p->start_ms);
}

static void human(char *out, size_t n, double v)
{
	const char *u[] = { "B", "KB", "MB", "GB", "TB" };
	int i = 0;
	while (v >= 1000 && i < 4) {
		v /= 1000;
		i++;
	}
	snprintf(out, n, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}

static void draw(struct mf_progress *p, int64_t now)
{
	double secs = (double)(now - p->start_ms) / 1000.0;
	double rate = secs > 0 ? (double)p->bytes / secs : 0;
	double frac = -1;
	char done[32], of[48] = "", r[32], left[32] = "", bar[40] = "", items[64];

	human(done, sizeof(done), (double)p->bytes);
	human(r, sizeof(r), rate);
	/* the share done: by bytes when their total is known, else by items */
	if (p->total_bytes > 0)
		frac = (double)p->bytes / (double)p->total_bytes;
	else if (p->total_items > 0)
		frac = (double)p->items / (double)p->total_items;
	if (frac > 1)
		frac = 1;
	if (p->total_bytes > 0) {
		char t[32];
		human(t, sizeof(t), (double)p->total_bytes);
		snprintf(of, sizeof(of), " of %s", t);
	}
	if (frac >= 0) {
		int w = 20, k = (int)(frac * w);
		bar[0] = '[';
		for (int i = 0; i < w; i++)
			bar[1 + i] = i < k ? '#' : '.';
		snprintf(bar + 1 + w, sizeof(bar) - 1 - (size_t)w, "] %3d%% ", (int)(frac * 100));
		if (frac > 0.001 && frac < 1 && secs >= 0.2) {
			long s = (long)(secs * (1 - frac) / frac + 0.5);
			snprintf(left, sizeof(left), ", %ld:%02ld left", s / 60, s % 60);
		}
	}
	if (p->total_items > 0)
		snprintf(items, sizeof(items), "%lld/%lld items", (long long)p->items,
			 (long long)p->total_items);
	else
		snprintf(items, sizeof(items), "%lld items", (long long)p->items);
	fprintf(stderr, "\r\033[K%s: %s%s, %s%s, %s/s%s", p->label, bar, items, done, of, r, left);
	fflush(stderr);
	p->drawn = 1;
	p->last_ms = now;
}

void mf_progress_set_totals(struct mf_progress *p, int64_t total_items, int64_t total_bytes)
{
	p->total_items = total_items;
	p->total_bytes = total_bytes;
}

void mf_progress_update(struct mf_progress *p, int64_t items, int64_t bytes)
{
	int64_t now;
	p->items = items;
	p->bytes = bytes;
	if (p->quiet || !p->tty)
		return;
	now = mf_now_ms();
	if (now - p->last_ms >= 200)
		draw(p, now);
}

void mf_progress_note(struct mf_progress *p, const char *fmt, ...)
{
	va_list ap;
	if (p->quiet)
		return;
	if (p->drawn) {
		fputs("\r\033[K", stderr);
		p->drawn = 0;
	}
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (p->tty && !p->ended)
		draw(p, mf_now_ms());
}

void mf_progress_end(struct mf_progress *p)
{
	p->ended = 1;
	if (p->quiet || !p->tty)
		return;
	if (p->drawn)
		fputs("\r\033[K", stderr);
	p->drawn = 0;
	fflush(stderr);
}
