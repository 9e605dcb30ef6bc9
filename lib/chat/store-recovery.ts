/**
 * What the store must hold for this node, written again when it may have lost it.
 *
 * `createStartingRooms`: the `startingChatRooms` option, at start and after a reconnect.
 *
 * `reconcileMembers`, after the store reconnected: Redis may have restarted empty, and removals tried while it
 * was down failed. Writes this node's members again (their original records) in the rooms
 * that exist, re-creates rooms our members are still in, and deletes records of this node
 * whose connection is no longer in the room (nobody else would: this node is alive, so the
 * ghost sweep never touches them).
 */
import type { ConnectionRegistry } from "../connection/connection-registry.js";
import type { RoomStore } from "../stores/room-store.js";
import type { Logger } from "../logger.js";
import type { Membership } from "./membership.js";

export interface RecoveryDeps {
  store: RoomStore;
  membership: Membership;
  connections: ConnectionRegistry;
  nodeId: string;
  logger: Logger;
}

export async function reconcileMembers({ store, membership, connections, nodeId, logger }: RecoveryDeps): Promise<void> {
  for (const connection of [...connections.values()]) {
    for (const room of [...connection.rooms]) {
      try {
        // Redis came back without the room while our members are still in it: the room
        // existed, so bring it back rather than strand them in a room roomView denies.
        if (!(await store.roomExists(room)) && (await store.addRoom(room))) {
          logger.info({ room }, "actionhero-ws: re-created a room that Redis lost");
        }
        // checked right before the write: a leave issued since then is sent after it
        const record = membership.recordOf(connection, room);
        if (!record || connection.destroyed) continue;
        await store.setMember(room, record);
      } catch (error) {
        logger.warn({ room, err: String(error) }, "actionhero-ws: could not restore a member after reconnecting");
      }
    }
  }
  try {
    for (const room of await store.listRooms()) {
      for (const [id, member] of Object.entries(await store.members(room))) {
        if (member.host !== nodeId || membership.holds(connections.get(id), room)) continue;
        await store.removeMember(room, id);
      }
    }
  } catch (error) {
    logger.warn({ err: String(error) }, "actionhero-ws: could not remove stale members after reconnecting");
  }
}

/** Creates the starting rooms that do not exist (a failure is logged: the node still starts). */
export async function createStartingRooms(store: RoomStore, rooms: readonly string[], logger: Logger): Promise<void> {
  for (const room of rooms) {
    try {
      await store.addRoom(room);
    } catch (error) {
      logger.warn({ room, err: String(error) }, "actionhero-ws: could not create a starting room");
    }
  }
}

/**
 * Creates the starting rooms now, and again after every reconnect of the store (Redis may
 * come back empty): starting rooms first, then this node's members.
 */
export async function keepStoreRecovered(deps: RecoveryDeps, rooms: readonly string[]): Promise<void> {
  await createStartingRooms(deps.store, rooms, deps.logger);
  // Registered after the first start, whose rooms were just made: a later `ready` is a reconnect.
  deps.store.on("ready", () => void createStartingRooms(deps.store, rooms, deps.logger).then(() => reconcileMembers(deps)));
}
