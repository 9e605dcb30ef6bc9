/**
 * The Actionhero starter action: a random number, as a number and as a sentence.
 *
 *   client.action("randomNumber")
 *   // -> { randomNumber: 0.8536, stringRandomNumber: "Your random number is 0.8536",
 *   //      context: "response", messageId: 2 }
 *
 * Also answers HTTP: GET /api/randomNumber (the client's fallback while disconnected).
 */
export const randomNumber = {
  name: "randomNumber",
  description: "I am an API method which will generate a random number",
  inputs: {},
  // `run` may write to `data.response` or return an object; a returned object is merged
  // into the response.
  run: async () => {
    const randomNumber = Math.random();
    return {
      randomNumber,
      stringRandomNumber: `Your random number is ${randomNumber}`,
    };
  },
};
