// What other features may use from tags.

export { MAX_TAGS_PER_TICKET, TAG_MAX, TagListInput } from "./tags.schemas.ts";
export {
  checkTagName,
  checkTagNames,
  deleteTicketTags,
  findTag,
  findTagByName,
  insertTicketTags,
  listTicketTags,
  type Tag,
  taggedTicketIds,
  taggedTicketIdsById,
  taggedTicketIdsNamed,
  tagNamesOfRow,
  tagsNamed,
  ticketTagsForPage,
} from "./tags.service.ts";
