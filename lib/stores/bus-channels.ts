/**
 * The pub/sub channel names of the bus. With per-room channels (the default) each room has
 * its own channel, each node one for the commands and replies addressed to it, and one
 * channel reaches every node (commands whose node is unknown). With Actionhero's single
 * channel every name is that one channel (README, "Running several nodes").
 *
 * On Redis Cluster the room is a hash tag (hash-tag.ts), so the channel lives in the same slot
 * as the room's keys (redis-room-store.ts) and a room's traffic stays on one shard.
 */
import { hashTag } from "./hash-tag.js";

/** `per-room`: a channel per room, subscribed where the room has members; `single`: Actionhero's one channel. */
export type ChannelMode = "per-room" | "single";

export interface BusChannels {
  readonly mode: ChannelMode;
  room(room: string): string;
  node(nodeId: string): string;
  /** the channel every node listens to */
  readonly all: string;
}

export function busChannels(channel: string, mode: ChannelMode, hashTagged: boolean): BusChannels {
  if (mode === "single") return { mode, room: () => channel, node: () => channel, all: channel };
  const tag = (name: string) => (hashTagged ? hashTag(name) : name);
  return {
    mode,
    room: (room) => `${channel}:room:${tag(room)}`,
    node: (nodeId) => `${channel}:node:${tag(nodeId)}`,
    all: `${channel}:nodes`,
  };
}
