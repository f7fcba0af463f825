import { Inject, Injectable } from '@nestjs/common';
import { Errors } from '@switchyard/contracts';
import { UsersRepository, type TeamMembership, type TeamRole } from '@switchyard/db';
import { AuditService } from '../audit/audit.service';
import { ApiException } from '../common/api.exception';
import { parseInput } from '../common/parse-input';
import { userNotFound } from '../users/users.service';
import { AddTeamMemberSchema, UpdateTeamMemberSchema, type TeamMemberJson } from './team-members.schemas';
import { TeamsService } from './teams.service';

function toMemberJson(m: TeamMembership, userEmail: string | null): TeamMemberJson {
  return {
    team_id: m.teamId,
    user_id: m.userId,
    user_email: userEmail,
    role: m.role,
    created_at: m.createdAt.toISOString(),
  };
}

/** A team's members and their team role (admin, user). */
@Injectable()
export class TeamMembersService {
  constructor(
    @Inject(TeamsService) private readonly teams: TeamsService,
    @Inject(UsersRepository) private readonly users: UsersRepository,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {}

  async list(teamId: string): Promise<{ data: TeamMemberJson[] }> {
    const team = await this.teams.require(teamId);
    return { data: (await this.users.teamMembers(team.id)).map((m) => toMemberJson(m, m.userEmail)) };
  }

  /** Adds the user to the team, or changes their role there when they already belong. */
  async add(teamId: string, body: unknown): Promise<TeamMemberJson> {
    const input = parseInput(AddTeamMemberSchema, body);
    return this.set(teamId, input.user_id, input.role, false);
  }

  async update(teamId: string, userId: string, body: unknown): Promise<TeamMemberJson> {
    const input = parseInput(UpdateTeamMemberSchema, body);
    return this.set(teamId, userId, input.role, true);
  }

  async set(teamId: string, userId: string, role: TeamRole, mustExist: boolean): Promise<TeamMemberJson> {
    const team = await this.teams.require(teamId);
    const user = await this.users.get(userId);
    if (!user) throw new ApiException({ ...userNotFound(userId), param: 'user_id' });
    const before = await this.users.teamMembership(team.id, user.id);
    if (mustExist && !before) throw new ApiException(notAMember(team.id));
    const member = await this.users.setTeamRole(team.id, user.id, role);
    const json = toMemberJson(member, user.userEmail);
    await this.audit.record({
      action: before ? 'team.member_updated' : 'team.member_added',
      entity: 'team',
      entityId: team.id,
      details: { user_id: user.id },
      before: before ? toMemberJson(before, user.userEmail) : null,
      after: json,
    });
    return json;
  }

  async remove(teamId: string, userId: string): Promise<{ team_id: string; user_id: string; deleted: true }> {
    const team = await this.teams.require(teamId);
    const removed = await this.users.removeFromTeam(team.id, userId);
    if (!removed) throw new ApiException(notAMember(team.id));
    await this.audit.record({
      action: 'team.member_removed',
      entity: 'team',
      entityId: team.id,
      details: { user_id: removed.userId },
      before: toMemberJson(removed, null),
      after: null,
    });
    return { team_id: team.id, user_id: removed.userId, deleted: true };
  }
}

function notAMember(teamId: string) {
  return {
    ...Errors.notFound(
      `That user is not a member of team ${teamId}. List its members with GET /v1/teams/${teamId}/members.`,
    ),
    param: 'user_id',
  };
}
