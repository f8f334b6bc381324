import type { PageContext } from "../../platform/views/context.ts";
import { Csrf } from "../../platform/views/forms.tsx";

/** Staff: the "email me about..." switch on the account page. */
export function NotificationsForm({ ctx, enabled }: { ctx: PageContext; enabled: boolean }) {
  const { t } = ctx.i18n;
  return (
    <form method="post" action="/account/notifications" class="stack">
      <h2>{t("notificationsForm.heading")}</h2>
      <Csrf token={ctx.csrfToken} />
      <div class="field checkbox">
        <input
          id="field-emailNotifications"
          type="checkbox"
          name="emailNotifications"
          value="true"
          checked={enabled}
        />
        <label for="field-emailNotifications">{t("notificationsForm.label")}</label>
      </div>
      <button type="submit">{t("notificationsForm.save")}</button>
    </form>
  );
}
