/** Chat error texts, as Actionhero words them (verb errors get the "Error: " prefix). */
export const chatErrors = {
  bothRequired: "both room and message are required",
  notInRoom: (room: string) => `connection not in this room (${room})`,
  alreadyInRoom: (room: string) => `connection already in this room (${room})`,
  roomDeleted: "this room has been deleted",
  noRoom: "room does not exist",
  roomExists: "room exists",
  roomRequired: "a room is required",
} as const;
