/**
 * Every chat room with its member count, for the chat page's sidebar.
 *
 *   client.action("roomsList")
 *   // -> { rooms: [{ name: "anotherRoom", membersCount: 0 },
 *   //              { name: "defaultRoom", membersCount: 2 }] }
 *
 * Counts come from the shared store, so with Redis they cover every node. Like `status`,
 * this is a factory taking a function that returns the middleware: `roomsList(() => ws)`.
 */
export const roomsList = (getWs) => ({
  name: "roomsList",
  description: "I list the chat rooms and how many connections are in each",
  inputs: {},
  run: async () => {
    const ws = getWs();
    const names = await ws.chatRoom.list();
    const rooms = [];
    for (const name of names) {
      try {
        const { membersCount } = await ws.chatRoom.roomStatus(name);
        rooms.push({ name, membersCount });
      } catch {
        // the room was destroyed between list() and roomStatus(): leave it out
      }
    }
    rooms.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { rooms };
  },
});
