// What other features may use from saved views.

export {
  listViews,
  type SavedView,
} from "./saved-views.service.ts";
