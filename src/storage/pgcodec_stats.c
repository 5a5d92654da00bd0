/*
 * pgcodec_stats.c — the page codec's counters of an open database, for SHOW COMPRESSION STATS
 * and the integrity check (pgcodec.h): read from the pager's page transform.
 */
#include "pager_int.h"
#include "pgcodec.h"

void pgcodec_counters(pager *p, pgcodec_counts *out)
{
    pagexform_codec_counters(p->xf, &out->pages_repaired, &out->bytes_repaired,
                             &out->pages_failed);
}
