/*
 * Reason phrases of the responses the user agent sends (RFC 3261 §21 and
 * the RFCs of each extension), as bytes. Where the status alone would leave
 * the peer guessing, the phrase says what was wrong.
 */
import { ascii } from "../../sip/message/bytes";

export const R_TRYING = ascii("Trying");
export const R_RINGING = ascii("Ringing");
export const R_OK = ascii("OK");
export const R_ACCEPTED = ascii("Accepted");
export const R_BAD_REQUEST_CONTACT = ascii("Bad Request - Missing or Invalid Contact");
export const R_BAD_REQUEST_SDP = ascii("Bad Request - Malformed SDP");
export const R_BAD_REQUEST_DTMF = ascii("Bad Request - Unreadable DTMF");
export const R_BAD_REQUEST_REFER_TO = ascii("Bad Request - Missing or Invalid Refer-To");
export const R_BAD_REQUEST_RACK = ascii("Bad Request - Invalid RAck");
export const R_BAD_REQUEST_SESSION_EXPIRES = ascii("Bad Request - Invalid Session-Expires");
export const R_BAD_REQUEST_MIN_SE = ascii("Bad Request - Invalid Min-SE");
/** RFC 4028 §6. */
export const R_INTERVAL_TOO_SMALL = ascii("Session Interval Too Small");
export const R_FORBIDDEN_REFER = ascii("Forbidden - Out-of-Dialog REFER");
export const R_FORBIDDEN_TRANSFER = ascii("Forbidden - Transfer Target Not Allowed");
export const R_FORBIDDEN_EARLY_TRANSFER = ascii("Forbidden - Transfer Before Answer");
export const R_NO_TRANSACTION = ascii("Call/Transaction Does Not Exist");
export const R_NO_SUBSCRIPTION = ascii("Subscription Does Not Exist");
export const R_NO_RELIABLE = ascii("No Matching Reliable Provisional Response");
export const R_LOOP = ascii("Loop Detected");
export const R_BUSY = ascii("Busy Here");
export const R_TERMINATED = ascii("Request Terminated");
export const R_NOT_ACCEPTABLE_HERE = ascii("Not Acceptable Here");
export const R_BAD_EVENT = ascii("Bad Event");
export const R_BAD_INFO_PACKAGE = ascii("Bad Info Package");
export const R_PENDING = ascii("Request Pending");
export const R_SERVER_ERROR = ascii("Server Internal Error");
export const R_CSEQ_ORDER = ascii("Server Internal Error - CSeq Out of Order");
export const R_NO_PRACK = ascii("Server Internal Error - No PRACK");
export const R_TOO_LARGE = ascii("Message Too Large");
export const R_DECLINE = ascii("Decline");
export const R_UNSUPPORTED_SCHEME = ascii("Unsupported URI Scheme");
export const R_UNSUPPORTED_MEDIA = ascii("Unsupported Media Type");
