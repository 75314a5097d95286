import { Initial1795732399778 } from './1795732399778-Initial';
import { ProvisioningLog1795733447112 } from './1795733447112-ProvisioningLog';
import { EmployeeSearchIndex1795734000000 } from './1795734000000-EmployeeSearchIndex';
import { Groups1795734654840 } from './1795734654840-Groups';
import { AuditAppendOnly1795735000000 } from './1795735000000-AuditAppendOnly';
import { SearchIndexPendingList1795736000000 } from './1795736000000-SearchIndexPendingList';
import { IdpTolerance1795736500000 } from './1795736500000-IdpTolerance';
import { ListCreationOrder1795737000000 } from './1795737000000-ListCreationOrder';
import { UsernameKey1795737500000 } from './1795737500000-UsernameKey';
import { LiveEmployeeKey1795738000000 } from './1795738000000-LiveEmployeeKey';
import { EmployeesFillfactor1795738200000 } from './1795738200000-EmployeesFillfactor';
import { Webhooks1795739500000 } from './1795739500000-Webhooks';
import { WebhookDeliveriesLean1795739600000 } from './1795739600000-WebhookDeliveriesLean';
import { Events1795739000000 } from './1795739000000-Events';
import { OAuth1795740000000 } from './1795740000000-OAuth';
import { OAuthAssertionJti1795740100000 } from './1795740100000-OAuthAssertionJti';
import { OAuthPlatformClients1795740200000 } from './1795740200000-OAuthPlatformClients';
import { Lists1795741000000 } from './1795741000000-Lists';
import { EventsTriggerReplanned1795742000000 } from './1795742000000-EventsTriggerReplanned';
import { SearchByTenant1795742100000 } from './1795742100000-SearchByTenant';
import { EmployeesByUsername1795742200000 } from './1795742200000-EmployeesByUsername';
import { EmployeesByEmail1795742300000 } from './1795742300000-EmployeesByEmail';
import { EventsTriggerCachedReads1795742400000 } from './1795742400000-EventsTriggerCachedReads';
import { EventsTriggerInlineReads1795742500000 } from './1795742500000-EventsTriggerInlineReads';
import { EventsTriggerEmployeeStatement1795742600000 } from './1795742600000-EventsTriggerEmployeeStatement';

/** Every migration in order. Listed explicitly so that the compiled and the TypeScript builds run the same set. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const MIGRATIONS: Function[] = [
  Initial1795732399778,
  ProvisioningLog1795733447112,
  EmployeeSearchIndex1795734000000,
  Groups1795734654840,
  AuditAppendOnly1795735000000,
  SearchIndexPendingList1795736000000,
  IdpTolerance1795736500000,
  ListCreationOrder1795737000000,
  UsernameKey1795737500000,
  LiveEmployeeKey1795738000000,
  EmployeesFillfactor1795738200000,
  Events1795739000000,
  Webhooks1795739500000,
  WebhookDeliveriesLean1795739600000,
  OAuth1795740000000,
  OAuthAssertionJti1795740100000,
  OAuthPlatformClients1795740200000,
  Lists1795741000000,
  EventsTriggerReplanned1795742000000,
  SearchByTenant1795742100000,
  EmployeesByUsername1795742200000,
  EmployeesByEmail1795742300000,
  EventsTriggerCachedReads1795742400000,
  EventsTriggerInlineReads1795742500000,
  EventsTriggerEmployeeStatement1795742600000,
];
