/**
 * The Redis Cluster hash tag of a room (or node id) in its keys and shard channels. Redis
 * Cluster hashes only the text between a key's first `{` and the first `}` after it, when
 * that text is not empty; every key and channel of one room carries the same tag, so a
 * room lives in one slot and its scripts never cross slots.
 *
 * A name starting with `}` would leave the tag empty (Redis then hashes the whole key, and
 * the room's keys would scatter over slots): it gets a lead character, the same in every key
 * of that room. A `}` later in a name only shortens the tag, the same way in every key.
 */
export function hashTag(name: string): string {
  return name.startsWith("}") ? `{~${name}}` : `{${name}}`;
}
