/*
 * pubsub.h — channels, patterns and subscriptions of the WebSocket endpoint (docs/websocket.md).
 *
 * A channel is a dotted name ("sensor.temperature"). A subscription that contains '*' anywhere
 * is a pattern; otherwise it is an exact channel. Patterns match segment by segment (segments
 * are split on '.'): a segment "*" matches exactly one segment, a segment "**" matches zero or
 * more segments, any other segment (also "a*b") must be equal. The pattern "**" alone therefore
 * matches every channel. These are the semantics of the Rust version (reference section 4.5).
 *
 * Names are validated: not empty, at most PUBSUB_MAX_CHANNEL bytes, no empty segment (no
 * leading, trailing or doubled '.'), no control characters.
 *
 * The registry maps subscribers (opaque pointers: the WebSocket layer uses its connections) to
 * exact channels and patterns. It is not thread-safe: the hub holds its lock around every call.
 * pubsub_collect returns each matching subscriber once, whether it matched through an exact
 * subscription, one or several patterns, or both.
 */
#ifndef NQ_SERVER_PUBSUB_H
#define NQ_SERVER_PUBSUB_H

#include <stddef.h>

#define PUBSUB_MAX_CHANNEL 256

typedef struct pubsub pubsub;

/* 0 if name is a valid channel or pattern; otherwise NQ_EINVAL and a reason in err
 * (e.g. "channel name has an empty segment"). err may be NULL. */
int pubsub_channel_check(const char *name, char *err, size_t errcap);
/* 1 if name contains '*' (a pattern), 0 otherwise. */
int pubsub_is_pattern(const char *name);
/* 1 if channel matches pattern (an exact name matches only itself). Both are assumed valid. */
int pubsub_match(const char *pattern, const char *channel);

/* A new empty registry; NULL on ENOMEM. */
pubsub *pubsub_new(void);
void pubsub_free(pubsub *ps);

/* Subscribe sub to name (exact channel or pattern). 1 if added, 0 if sub already had it,
 * NQ_ENOMEM. name must be valid (pubsub_channel_check). */
int pubsub_subscribe(pubsub *ps, void *sub, const char *name);
/* Remove that one subscription (a pattern is removed only by the same pattern). 1 if it was
 * there, 0 if not. */
int pubsub_unsubscribe(pubsub *ps, void *sub, const char *name);
/* 1 if sub has exactly this subscription (name compared as given), else 0. */
int pubsub_has(const pubsub *ps, const void *sub, const char *name);
/* Remove every subscription of sub. */
void pubsub_unsubscribe_all(pubsub *ps, void *sub);
/* Number of subscriptions (exact and patterns) of sub. */
size_t pubsub_count(const pubsub *ps, const void *sub);
/* Number of distinct exact channels and patterns that have at least one subscriber. */
size_t pubsub_channels(const pubsub *ps);

/* The subscribers a publish on channel reaches, each once, in no particular order. *out is a
 * malloc'd array the caller frees (NULL when there are none). Returns the count, or NQ_ENOMEM. */
long pubsub_collect(const pubsub *ps, const char *channel, void ***out);

#endif
